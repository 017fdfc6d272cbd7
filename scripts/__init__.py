"""Rule scripts of bigbench-emergence and the pure functions they are built on."""
