"""The clock and the engine that moves resources between states."""
