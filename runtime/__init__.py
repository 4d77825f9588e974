"""What both servers (Rasa's and the action server) set up when they start."""
