"""Channel adapters: each turns native events into `Inbound`s and renders the engine's `Reply`s."""
