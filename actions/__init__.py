"""Custom actions: thin classes that read slots, ask the knowledge base
(`knowledge_base.queries`) and format the replies (`actions.replies`)."""
