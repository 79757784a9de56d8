#include "core/miningmodel.h"

#include <QDir>
#include <QFileInfo>
#include <QHostAddress>
#include <QTimer>

#include "core/chainserver.h"
#include "core/engines/engines.h"
#include "core/engines/searchengine.h"
#include "core/minerid.h"
#include "core/miningtext.h"
#include "core/printable.h"
#include "core/settings.h"
#include "core/validate.h"

using namespace Qt::StringLiterals;
using MinerProtocol::ReplyKind;

namespace
{
MiningSnapshot::State snapshotState(Miner::State state)
{
    switch (state) {
    case Miner::State::Stopped:
        return MiningSnapshot::State::Stopped;
    case Miner::State::Fetching:
        return MiningSnapshot::State::Fetching;
    case Miner::State::Searching:
        return MiningSnapshot::State::Searching;
    case Miner::State::Submitting:
        return MiningSnapshot::State::Submitting;
    case Miner::State::WaitingToRetry:
        return MiningSnapshot::State::Retrying;
    case Miner::State::Stopping:
        return MiningSnapshot::State::Stopping;
    }
    return MiningSnapshot::State::Stopped;
}

MiningSnapshot::Updates snapshotUpdates(Miner::Updates updates)
{
    switch (updates) {
    case Miner::Updates::Polling:
        return MiningSnapshot::Updates::Polling;
    case Miner::Updates::Push:
        return MiningSnapshot::Updates::Push;
    case Miner::Updates::Unknown:
        break;
    }
    return MiningSnapshot::Updates::Unknown;
}
}

MiningModel::MiningModel(ProofSearch::Priority priority, QObject *parent)
    : QObject{parent}
    , m_sampleTimer{new QTimer(this)}
    , m_changeTimer{new QTimer(this)}
    , m_miner{priority}
    , m_nodeList{new NodeList(&m_miner, this)}
{
    m_clock.start();
    m_sampleTimer->setInterval(SampleIntervalMs);
    connect(m_sampleTimer, &QTimer::timeout, this, &MiningModel::sample);
    m_sampleTimer->start();
    m_changeTimer->setSingleShot(true);
    m_changeTimer->setInterval(UpdateIntervalMs);
    connect(m_changeTimer, &QTimer::timeout, this, [this] {
        if (!m_changePending)
            return;
        m_changePending = false;
        emit changed();
        m_changeTimer->start();
    });

    connect(&m_miner, &Miner::started, this, &MiningModel::handleStarted);
    connect(&m_miner, &Miner::stopped, this, &MiningModel::handleStopped);
    connect(&m_miner, &Miner::stateChanged, this, &MiningModel::handleStateChanged);
    connect(&m_miner, &Miner::searchStarted, this, &MiningModel::handleSearchStarted);
    connect(&m_miner, &Miner::searchAbandoned, this, &MiningModel::handleSearchAbandoned);
    connect(&m_miner, &Miner::proofFound, this, &MiningModel::handleProofFound);
    connect(&m_miner, &Miner::answered, this, &MiningModel::handleAnswer);
    connect(&m_miner, &Miner::updatesChanged, this, &MiningModel::handleUpdatesChanged);
    connect(&m_miner, &Miner::problemOccurred, this,
            [this](const QString &message) { log(LogEntry::Kind::Error, message); });
    connect(m_nodeList, &NodeList::switched, this,
            [this](const QUrl &from, const QUrl &to, const QString &reason) {
                log(LogEntry::Kind::Info,
                    u"%1: mining on %2 now"_s.arg(reason, Validate::displayUrl(to)));
                markChanged();
                emit nodeSwitched(from, to, reason);
            });
    connect(&m_miner, &Miner::recovered, this, [this] {
        log(LogEntry::Kind::Info,
            u"%1 answers again"_s.arg(Validate::displayUrl(m_miner.config().serverUrl)));
        markChanged();
    });
}

MiningModel::~MiningModel() = default;

Result<void> MiningModel::startMining(const MinerSetup &setup)
{
    if (isMining())
        return {};
    Miner::Config config = setup.tuning;
    QList<QUrl> nodes;
    if (m_server) {
        nodes << localServerUrl();
    } else {
        const Result<QList<QUrl>> urls = Validate::nodeUrls(setup.nodeUrl);
        if (!urls)
            return Error{u"Node URL: %1"_s.arg(urls.errorMessage())};
        nodes = *urls;
    }
    config.serverUrl = nodes.first();
    config.engine = nullptr;
    if (!setup.engine.isEmpty() && setup.engine != Settings::autoEngine()) {
        config.engine = Engines::find(setup.engine);
        if (!config.engine)
            return Error{u"The engine '%1' is not available on this CPU"_s.arg(setup.engine)};
        // A forced engine mines only once it has found the known answers.
        QString why;
        config.engine = &Engines::checked(*config.engine, &why);
        if (!why.isEmpty())
            log(LogEntry::Kind::Error, why);
    }
    config.threads = setup.threads;
    config.push = config.push && m_pushAllowed;
    config.id = setup.id.trimmed();
    if (!setup.idFile.isEmpty()) {
        const Result<bool> saved = MinerId::save(setup.idFile, config.id);
        if (!saved)
            return saved.error();
        if (*saved)
            log(LogEntry::Kind::Info, u"Saved the miner id \"%1\" to %2"_s.arg(config.id,
                                                                             setup.idFile));
    }
    m_nodeList->start(nodes, setup.failover);   // known when started() is emitted
    const Result<void> started = m_miner.start(config);
    if (!started) {
        m_nodeList->stop();
    } else {
        if (nodes.size() > 1) {
            QStringList others;
            for (qsizetype i = 1; i < nodes.size(); ++i)
                others << Validate::displayUrl(nodes[i]);
            log(LogEntry::Kind::Info, u"Failover nodes, in order: %1"_s.arg(others.join(u", "_s)));
        }
    }
    return started;
}

void MiningModel::stopMining()
{
    m_miner.stop();
}

QUrl MiningModel::localServerUrl() const
{
    if (!m_server)
        return {};
    QUrl url;
    url.setScheme(u"http"_s);
    url.setHost(u"127.0.0.1"_s);
    url.setPort(m_server->port());
    return url;
}

Result<void> MiningModel::startLocalServer(const LocalServerSetup &setup)
{
    if (m_server)
        return {};
    ChainServer::Config config;
    config.databasePath = setup.databasePath;
    config.difficulty = setup.difficulty;
    QDir().mkpath(QFileInfo(config.databasePath).absolutePath());
    auto server = std::make_unique<ChainServer>(config);
    if (const Result<void> opened = server->open(); !opened)
        return Error{u"Cannot start the local chain server: %1"_s.arg(opened.errorMessage())};
    if (server->listen(QHostAddress::LocalHost, static_cast<quint16>(setup.port)) == 0) {
        const QString taken = server->errorString();
        if (setup.port == 0 || !setup.anyPortIfTaken
            || server->listen(QHostAddress::LocalHost, 0) == 0)
            return Error{u"Cannot start the local chain server: %1"_s.arg(server->errorString())};
        log(LogEntry::Kind::Info, u"%1: the local chain server takes port %2 instead"_s.arg(
            taken).arg(server->port()));
    }
    connect(server.get(), &ChainServer::blockForged, this, &MiningModel::handleBlockForged);
    m_server = std::move(server);
    m_lastBlock = m_server->chain().lastBlock();
    log(LogEntry::Kind::Info,
        u"Local chain server running at %1 (difficulty %2, %3 blocks, database %4)"_s
            .arg(localServerUrl().toString())
            .arg(config.difficulty)
            .arg(m_server->chain().length())
            .arg(QDir::toNativeSeparators(config.databasePath)));
    // The policy: while the local server runs, the miner mines on it.
    if (isMining()) {
        log(LogEntry::Kind::Info,
            u"Mining moves to the local chain server at %1"_s.arg(localServerUrl().toString()));
        m_nodeList->stop();   // the local server is the one node now
        m_miner.switchServer(localServerUrl());
    }
    markChanged();
    return {};
}

void MiningModel::stopLocalServer()
{
    if (!m_server)
        return;
    const bool stopsMiner = isMining() && minesOnLocalServer();
    if (stopsMiner)
        m_miner.stop();   // rather than send it to another server unasked
    m_server->close();
    m_server.reset();
    log(LogEntry::Kind::Info, stopsMiner ? u"Local chain server stopped, and mining with it"_s
                                         : u"Local chain server stopped"_s);
    markChanged();
}

bool MiningModel::minesOnLocalServer() const
{
    return m_server && m_miner.config().serverUrl == localServerUrl();
}

MiningSnapshot MiningModel::snapshot() const
{
    MiningSnapshot s;
    const Miner::Config &config = m_miner.config();
    const ProofSearch &search = m_miner.search();
    s.state = snapshotState(m_miner.state());
    s.problem = Printable::escaped(m_miner.problem());
    s.serverUnreachable = m_miner.isServerUnreachable();
    s.updates = snapshotUpdates(m_miner.updates());
    s.pollIntervalMs = config.pollIntervalMs;
    s.longPollMs = m_miner.longPollMs();
    s.serverUrl = config.serverUrl.adjusted(QUrl::RemoveUserInfo);   // never shown
    s.minerId = config.id;
    s.engine = search.engine().name();
    s.threads = search.threadCount();
    s.priority = ProofSearch::priorityName(search.priority());

    s.coins = m_coins;
    s.accepted = m_accepted;
    s.stale = m_stale;
    s.rejected = m_rejected;
    s.attempts = m_attempts;
    s.miningMs = m_miningMs;
    if (m_runClock.isValid()) {
        s.attempts += search.attempts() - m_runAttemptsBase;
        s.miningMs += m_runClock.elapsed();
        s.hashRate = m_meter.rate(HashRateMeter::Window::Now).value_or(0.0);
        s.hashRate10s = m_meter.rate(HashRateMeter::Window::Short);
        s.hashRate60s = m_meter.rate(HashRateMeter::Window::Medium);
        s.hashRate15m = m_meter.rate(HashRateMeter::Window::Long);
    }

    s.blockIndex = m_miner.blockIndex();
    s.difficulty = m_miner.difficulty();
    s.searchMs = static_cast<qint64>(search.searchSeconds() * 1000.0);
    s.searchAttempts = search.searchAttempts();
    s.lastProof = m_lastProof;
    s.lastBlock = m_lastBlock;

    s.localServer = m_server != nullptr;
    if (m_server) {
        s.localServerUrl = localServerUrl();
        s.localServerBlocks = m_server->chain().length();
        s.localServerDifficulty = m_server->chain().difficulty();
    }
    return s;
}

// Every entry is escaped here, once: server text (messages, bodies), the id and the
// rest can neither move the cursor, recolour, reorder (bidi) nor hide text.
void MiningModel::log(LogEntry::Kind kind, const QString &text, qint64 blockIndex)
{
    emit logged(LogEntry{QDateTime::currentDateTime(), kind, Printable::escaped(text), blockIndex});
}

void MiningModel::markChanged()
{
    // At once when quiet, else at the end of the interval: a burst costs one update.
    if (m_changeTimer->isActive()) {
        m_changePending = true;
        return;
    }
    emit changed();
    m_changeTimer->start();
}

void MiningModel::sample()
{
    // While mining the figures move (the search's clock too): one update per sample.
    if (!isMining())
        return;
    m_meter.add(m_clock.elapsed(), m_miner.search().attempts());
    markChanged();
}

void MiningModel::handleStarted()
{
    m_runAttemptsBase = m_miner.search().attempts();
    m_runClock.start();
    m_meter.clear();   // the rates are this run's
    m_meter.add(m_clock.elapsed(), m_runAttemptsBase);
    const Miner::Config &config = m_miner.config();
    log(LogEntry::Kind::Info, u"Mining on %1 as \"%2\": engine %3, %4, priority %5"_s.arg(
        Validate::displayUrl(config.serverUrl), config.id, m_miner.search().engine().name(),
        MiningText::threads(m_miner.search().threadCount()),
        ProofSearch::priorityName(m_miner.search().priority())));
    markChanged();
}

void MiningModel::handleStateChanged(Miner::State state)
{
    // The run ends when the search does, not when a last answer comes in.
    if ((state == Miner::State::Stopped || state == Miner::State::Stopping)
        && m_runClock.isValid()) {
        m_attempts += m_miner.search().attempts() - m_runAttemptsBase;
        m_miningMs += m_runClock.elapsed();
        m_runClock.invalidate();
    }
    markChanged();
}

void MiningModel::handleStopped()
{
    log(LogEntry::Kind::Info, u"Stopped. %1"_s.arg(MiningText::summary(snapshot())));
    markChanged();
    emit miningStopped();
}

void MiningModel::handleSearchStarted(qint64 blockIndex, const Block &lastBlock, int difficulty)
{
    m_lastBlock = lastBlock;
    log(LogEntry::Kind::Work, u"Mining block %1 (difficulty %2, last block %3 %4...)"_s
                                  .arg(blockIndex)
                                  .arg(difficulty)
                                  .arg(lastBlock.index())
                                  .arg(QString::fromLatin1(lastBlock.hash().left(12))),
        blockIndex);
    markChanged();
}

void MiningModel::handleSearchAbandoned(qint64 blockIndex, qint64 newTipIndex)
{
    log(LogEntry::Kind::Info,
        u"Block %1 was forged by someone else (the last block is now %2): dropping that work"_s
            .arg(blockIndex)
            .arg(newTipIndex),
        blockIndex);
}

void MiningModel::handleProofFound(qint64 blockIndex, quint64 proof, double seconds,
                                   quint64 attempts)
{
    m_lastProof = MiningSnapshot::Proof{blockIndex, proof, seconds, attempts};
    log(LogEntry::Kind::Proof, u"Proof %1 found in %2 s after %3 attempts"_s.arg(proof)
                                   .arg(seconds, 0, 'f', 2)
                                   .arg(attempts),
        blockIndex);
    markChanged();
}

void MiningModel::handleAnswer(qint64 blockIndex, const MinerProtocol::MineAnswer &answer,
                               int retryInMs)
{
    LogEntry::Kind kind = LogEntry::Kind::Error;
    QString verdict;
    switch (answer.kind) {
    case ReplyKind::Accepted:
        ++m_accepted;
        m_coins += answer.reward;
        kind = LogEntry::Kind::Accepted;
        verdict = u"accepted; coins %1"_s.arg(m_coins);
        break;
    case ReplyKind::Stale:
        ++m_stale;
        kind = LogEntry::Kind::Stale;
        verdict = u"stale"_s;
        break;
    case ReplyKind::Rejected:
        ++m_rejected;
        kind = LogEntry::Kind::Rejected;
        verdict = u"rejected"_s;
        break;
    case ReplyKind::Error:
        verdict = u"error"_s;
        break;
    }
    if (retryInMs > 0)
        verdict += u"; retrying in %1"_s.arg(MiningText::seconds(retryInMs));
    log(kind, u"Block %1: %2 (%3)"_s.arg(blockIndex).arg(answer.text(), verdict), blockIndex);
    emit proofAnswered(foundBlock(blockIndex, answer));
    markChanged();
}

void MiningModel::handleUpdatesChanged(Miner::Updates updates)
{
    if (updates == Miner::Updates::Push)
        log(LogEntry::Kind::Info,
            u"New blocks: pushed by the server (long poll, up to %1 a wait)"_s.arg(
                MiningText::seconds(m_miner.longPollMs())));
    else if (updates == Miner::Updates::Polling)
        log(LogEntry::Kind::Info, u"New blocks: polling every %1%2"_s.arg(
            MiningText::seconds(m_miner.config().pollIntervalMs),
            m_miner.config().push ? QString() : u" (push turned off)"_s));
    markChanged();
}

FoundBlock MiningModel::foundBlock(qint64 blockIndex,
                                   const MinerProtocol::MineAnswer &answer) const
{
    FoundBlock found;
    found.time = QDateTime::currentDateTime();
    found.blockIndex = blockIndex;
    if (m_lastProof && m_lastProof->blockIndex == blockIndex) {
        found.proof = m_lastProof->proof;
        found.attempts = m_lastProof->attempts;
        found.seconds = m_lastProof->seconds;
    }
    switch (answer.kind) {
    case ReplyKind::Accepted:
        found.verdict = FoundBlock::Verdict::Accepted;
        found.reward = answer.reward;
        break;
    case ReplyKind::Stale:
        found.verdict = FoundBlock::Verdict::Stale;
        break;
    case ReplyKind::Rejected:
        found.verdict = FoundBlock::Verdict::Rejected;
        break;
    case ReplyKind::Error:
        found.verdict = FoundBlock::Verdict::Error;
        break;
    }
    found.answer = answer.text();
    found.serverUrl = m_miner.config().serverUrl;
    found.minerId = m_miner.config().id;
    return found;
}

void MiningModel::handleBlockForged(const Block &block)
{
    m_lastBlock = block;
    // A block forged here reaches the miner at once, not at its next poll.
    if (minesOnLocalServer())
        m_miner.offerTip(MinerProtocol::Tip{block, m_server->chain().difficulty()});
    markChanged();
}
