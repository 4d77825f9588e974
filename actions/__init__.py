"""Custom actions: thin classes that read slots, ask the knowledge base
(`knowledge_base.queries`) and put the replies together (`knowledge_base.replies`)."""
