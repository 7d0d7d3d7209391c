"""The demo, apart from the product: its run, owner, notes, compliance drill, trainer and simulator."""

__all__ = ["compliance", "notes", "owner", "run", "trainer", "simulator"]
