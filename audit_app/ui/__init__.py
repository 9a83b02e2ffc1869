"""The Qt GUI. Widgets call services only; they never touch SQL or files directly."""
