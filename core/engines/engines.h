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
// The retired name shani-x2 finds shani-x3.
const SearchEngine *find(const QString &name);

// Names of every engine built into this binary, supported here or not.
QStringList builtNames();

// Attempts per second of one engine on the calling thread, measured for about
// `milliseconds` of the thread's CPU time (so preemption does not count).
double calibrate(const SearchEngine &engine, int milliseconds = 30);

// Attempts per second of one engine on one thread: the best of five 4 ms slices,
// measured once per engine and cached (best() fills the cache for every available
// engine with its median slice over every CPU). Thread-safe.
double rate(const SearchEngine &engine);

// The fastest available engine that passes its self-test, chosen once by a short
// calibration on every CPU at once (about 30 ms per engine, thread-safe), since the
// miner runs on all of them. Engines are compared slice against slice, run side by
// side, so that a host whose speed drifts does not make the choice swap from run to
// run; an engine within 1% of the fastest that comes earlier in the built order wins.
const SearchEngine &best();

// The portable engine (OpenSSL's compression): runs anywhere, the reference.
const SearchEngine &portable();

// A known-answer test of the engine (a few milliseconds, run once per engine and
// cached, thread-safe): the first valid proofs, found with Python's hashlib, for block
// strings that put the digits in every kind of place in the final blocks, across a
// change of digit count. Returns what went wrong, or an empty string.
QString selfTestFailure(const SearchEngine &engine);

// The engine when it passes its self-test; otherwise the portable engine, and *why
// (when given) says which engine failed and how.
const SearchEngine &checked(const SearchEngine &engine, QString *why = nullptr);
}
