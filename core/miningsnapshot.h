#pragma once

#include <cstdint>
#include <optional>

#include <QDateTime>
#include <QMetaType>
#include <QString>
#include <QUrl>

#include "core/block.h"

// What MiningModel hands its views: a snapshot of everything they show, taken when
// asked, and log entries as they happen. Plain values: copy them, queue them, keep
// them; views add fields' worth of presentation, never figures of their own.
struct MiningSnapshot
{
    enum class State { Stopped, Fetching, Searching, Submitting, Retrying, Stopping };
    // How new blocks reach the miner: not known yet, the 1 s poll, or the server's push.
    enum class Updates { Unknown, Polling, Push };

    State state = State::Stopped;
    QString problem;               // the failure being retried, while it lasts
    bool serverUnreachable = false;   // that failure got no HTTP answer at all
    Updates updates = Updates::Unknown;
    int pollIntervalMs = 0;        // the poll, when polling
    int longPollMs = 0;            // how long the server holds a push request

    // The miner as configured for the current (or last) run.
    QUrl serverUrl;
    QString minerId;
    QString engine;
    int threads = 0;
    QString priority;              // "idle", "low" or "normal"

    // Totals since the model was created, over every run.
    std::int64_t coins = 0;
    int accepted = 0;
    int stale = 0;
    int rejected = 0;
    std::uint64_t attempts = 0;    // while mining
    std::int64_t miningMs = 0;     // time spent mining

    // Attempts per second: over the last second (0 when not mining), and averages
    // over the last 10 s, 60 s and 15 min (over less while the history is shorter;
    // nothing before the first samples).
    double hashRate = 0;
    std::optional<double> hashRate10s;
    std::optional<double> hashRate60s;
    std::optional<double> hashRate15m;

    // The current (or last) search: the block being mined, its difficulty, how long
    // it has run (the clock keeps running while a poll fails), and its attempts.
    std::int64_t blockIndex = 0;
    int difficulty = 0;
    std::int64_t searchMs = 0;
    std::uint64_t searchAttempts = 0;
    struct Proof
    {
        std::int64_t blockIndex = 0;
        std::uint64_t proof = 0;
        double seconds = 0;
        std::uint64_t attempts = 0;
    };
    std::optional<Proof> lastProof;   // the last proof found

    // The chain's last block as the miner or the local server last saw it.
    std::optional<Block> lastBlock;

    // The local chain server, when it runs.
    bool localServer = false;
    QUrl localServerUrl;
    std::int64_t localServerBlocks = 0;
    int localServerDifficulty = 0;

    bool isMining() const { return state != State::Stopped && state != State::Stopping; }
    // Over every run: attempts / mining time.
    double averageHashRate() const
    {
        return miningMs > 0 ? static_cast<double>(attempts) * 1000.0 / static_cast<double>(miningMs)
                            : 0.0;
    }
};

// One line of the mining log: what happened, as plain text, with its kind for
// colour or filtering.
struct LogEntry
{
    // Work: a search started; Proof: a proof found; Accepted/Stale/Rejected: the
    // server's verdict; Error: a failure (the miner says what it does about it).
    enum class Kind { Info, Work, Proof, Accepted, Stale, Rejected, Error };

    QDateTime time;
    Kind kind = Kind::Info;
    QString text;
    std::int64_t blockIndex = 0;   // the block it is about, when there is one
};

// A proof this miner found and the server's answer to it: one row of the found-blocks
// table.
struct FoundBlock
{
    enum class Verdict { Accepted, Stale, Rejected, Error };

    QDateTime time;                // when the answer came
    std::int64_t blockIndex = 0;
    std::uint64_t proof = 0;
    std::uint64_t attempts = 0;    // of the search that found it
    double seconds = 0;            // that search's time
    Verdict verdict = Verdict::Error;
    QString answer;                // "HTTP 200: New Block Forged", plain text
    std::int64_t reward = 0;       // coins won (accepted only)
    QUrl serverUrl;                // where it was sent, and for whom
    QString minerId;
};

Q_DECLARE_METATYPE(MiningSnapshot)
Q_DECLARE_METATYPE(LogEntry)
Q_DECLARE_METATYPE(FoundBlock)
