#include "core/miningtext.h"

using namespace Qt::StringLiterals;

namespace MiningText
{
QString hashRate(double attemptsPerSecond)
{
    if (attemptsPerSecond >= 1e9)
        return u"%1 GH/s"_s.arg(attemptsPerSecond / 1e9, 0, 'f', 2);
    if (attemptsPerSecond >= 1e6)
        return u"%1 MH/s"_s.arg(attemptsPerSecond / 1e6, 0, 'f', 2);
    if (attemptsPerSecond >= 1e3)
        return u"%1 kH/s"_s.arg(attemptsPerSecond / 1e3, 0, 'f', 1);
    return u"%1 H/s"_s.arg(attemptsPerSecond, 0, 'f', 0);
}

QString hashRate(const std::optional<double> &attemptsPerSecond)
{
    return attemptsPerSecond ? hashRate(*attemptsPerSecond) : u"n/a"_s;
}

QString averages(const MiningSnapshot &snapshot)
{
    return u"10 s: %1, 60 s: %2, 15 min: %3"_s.arg(hashRate(snapshot.hashRate10s),
                                                   hashRate(snapshot.hashRate60s),
                                                   hashRate(snapshot.hashRate15m));
}

QString duration(std::int64_t ms)
{
    const std::int64_t s = ms / 1000;
    if (s < 60)
        return u"%1 s"_s.arg(static_cast<double>(ms) / 1000.0, 0, 'f', 1);
    if (s < 3600)
        return u"%1 min %2 s"_s.arg(s / 60).arg(s % 60);
    return u"%1 h %2 min"_s.arg(s / 3600).arg(s / 60 % 60);
}

QString seconds(int ms)
{
    return ms % 1000 == 0 ? u"%1 s"_s.arg(ms / 1000) : u"%1 s"_s.arg(ms / 1000.0, 0, 'g', 3);
}

QString clock(std::int64_t ms)
{
    const std::int64_t s = ms / 1000;
    if (s >= 3600)
        return u"%1:%2:%3"_s.arg(s / 3600).arg(s / 60 % 60, 2, 10, QChar(u'0'))
            .arg(s % 60, 2, 10, QChar(u'0'));
    return u"%1:%2"_s.arg(s / 60, 2, 10, QChar(u'0')).arg(s % 60, 2, 10, QChar(u'0'));
}

QString threads(int count)
{
    return count == 1 ? u"1 thread"_s : u"%1 threads"_s.arg(count);
}

QString updates(const MiningSnapshot &snapshot)
{
    switch (snapshot.updates) {
    case MiningSnapshot::Updates::Push:
        return u"push (long poll)"_s;
    case MiningSnapshot::Updates::Polling:
        return u"polling every %1"_s.arg(seconds(snapshot.pollIntervalMs));
    case MiningSnapshot::Updates::Unknown:
        break;
    }
    return u"-"_s;
}

QString activity(const MiningSnapshot &snapshot)
{
    using State = MiningSnapshot::State;
    switch (snapshot.state) {
    case State::Stopped:
        return u"stopped"_s;
    case State::Fetching:
        return u"asking the server for its last block"_s;
    case State::Searching:
        if (snapshot.problem.isEmpty())
            return u"searching"_s;
        return snapshot.serverUnreachable ? u"searching (server unreachable: retrying)"_s
                                          : u"searching (server failing: retrying)"_s;
    case State::Submitting:
        return u"submitting the proof"_s;
    case State::Retrying:
        return u"waiting to retry: %1"_s.arg(snapshot.problem);
    case State::Stopping:
        return u"stopping: waiting for the answer to the proof just sent"_s;
    }
    return {};
}

QString summary(const MiningSnapshot &snapshot)
{
    return u"Blocks: %1 accepted, %2 stale, %3 rejected. Coins: %4. Average %5 over %6."_s
        .arg(snapshot.accepted)
        .arg(snapshot.stale)
        .arg(snapshot.rejected)
        .arg(snapshot.coins)
        .arg(hashRate(snapshot.averageHashRate()), duration(snapshot.miningMs));
}
}
