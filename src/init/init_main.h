// `tend [options] -- CMD [ARGS...]`: single-command container init mode.
#pragma once

namespace tend::init {

// True when argv selects init mode (contains a "--" argument).
bool wants_init_mode(int argc, char** argv);
// Runs init mode to completion; returns the process exit status.
int init_main(int argc, char** argv);

}  // namespace tend::init
