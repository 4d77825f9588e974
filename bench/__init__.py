"""`make bench`: how fast the assistant answers, how much memory it holds,
how it grows with concurrent conversations, against Rasa's starter assistant."""
