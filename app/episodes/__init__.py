"""The episode register: notifications in, the co-ordinator's work list, allocation, and
the link between records and the episodes they cover."""
