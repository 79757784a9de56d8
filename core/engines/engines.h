#pragma once

#include <vector>

#include <QString>

class SearchEngine;

// The registry of proof-search engines: which ones this CPU can run, and which is
// fastest here. Engines are static singletons; pointers stay valid for the program.
namespace Engines
{
// Every engine built into this binary that this CPU (and OS) can run.
std::vector<const SearchEngine *> available();

// The engine of that name, or nullptr when it is unknown or this CPU cannot run it.
const SearchEngine *find(const QString &name);

// Names of every engine built into this binary, supported here or not.
QStringList builtNames();

// Attempts per second of one engine on the calling thread, measured for about
// `milliseconds` of the thread's CPU time (so preemption does not count).
double calibrate(const SearchEngine &engine, int milliseconds = 30);

// Attempts per second of one engine on one thread: the best of three 5 ms slices,
// measured once per engine and cached (best() fills the cache for every available
// engine). Thread-safe.
double rate(const SearchEngine &engine);

// The fastest available engine, chosen once by a short calibration (about 60 ms,
// thread-safe).
const SearchEngine &best();
}
