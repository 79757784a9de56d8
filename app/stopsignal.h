#pragma once

#include <functional>

class QObject;

// Runs `stop` on the event loop, once, when SIGINT or SIGTERM arrives. The signal
// handler only writes a byte to a socket pair (async-signal-safe); a QSocketNotifier,
// a child of context, reads it on the loop. Returns false when the pair or the
// handlers cannot be set up (errno says why).
bool onStopSignal(QObject *context, std::function<void()> stop);
