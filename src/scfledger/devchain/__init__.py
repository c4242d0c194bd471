"""Local chains for development (`scf up`) and the demo consortium seeded on them."""
