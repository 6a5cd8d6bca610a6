"""The asyncio shell: turns the world into flow events and flow effects into I/O."""
