"""The engine: procedure rules, guards, roles, required fields, and the use cases."""
