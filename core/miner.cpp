#include "core/miner.h"

#include <algorithm>

#include <QRandomGenerator>
#include <QTimer>

#include "core/engines/engines.h"
#include "core/engines/searchengine.h"
#include "core/logging.h"
#include "core/miningtext.h"
#include "core/pow.h"
#include "core/sha256.h"
#include "core/validate.h"

using namespace Qt::StringLiterals;
using MinerProtocol::ReplyKind;

Miner::Miner(ProofSearch::Priority priority, QObject *parent)
    : QObject{parent}
    , m_pollTimer{new QTimer(this)}
    , m_retryTimer{new QTimer(this)}
    , m_search{Engines::best(), 0, priority}
{
    m_pollTimer->setSingleShot(true);
    m_retryTimer->setSingleShot(true);
    connect(m_pollTimer, &QTimer::timeout, this, [this] { requestWork(true); });
    connect(m_retryTimer, &QTimer::timeout, this, [this] { requestWork(false); });
    connect(&m_search, &ProofSearch::proofFound, this, &Miner::handleProof);
    connect(&m_search, &ProofSearch::searchExhausted, this, &Miner::handleSearchExhausted);
    m_clock.start();
}

Miner::~Miner()
{
    // Quietly: whoever listened is being destroyed too.
    const QSignalBlocker blocker(this);
    stop();
}

Result<void> Miner::start(const Config &config)
{
    if (m_running)
        return {};
    if (config.id.trimmed().isEmpty())
        return Error{u"No miner id: the server would not know whom to pay"_s};
    const Result<QUrl> url = Validate::nodeUrl(config.serverUrl.toString());
    if (!url)
        return url.error();
    m_config = config;
    m_config.id = config.id.trimmed();
    m_config.serverUrl = *url;
    m_client.setBaseUrl(*url);
    m_client.setRequestTimeout(config.requestTimeoutMs);
    m_search.setEngine(config.engine ? *config.engine : Engines::best());
    m_search.setThreadCount(config.threads);
    m_running = true;
    forgetWork();
    qCDebug(lcMiner) << "Mining on" << m_config.serverUrl.toString() << "as" << m_config.id
                     << "with" << m_search.engine().name() << m_search.threadCount() << "threads";
    emit started();
    requestWork(false);
    return {};
}

void Miner::stop()
{
    if (!m_running)
        return;
    m_running = false;
    halt();
    qCDebug(lcMiner) << "Stopped;" << m_lingering.size() << "answer(s) awaited";
    if (m_lingering.isEmpty()) {
        setState(State::Stopped);
        emit stopped();
    } else {
        setState(State::Stopping);
    }
}

void Miner::switchServer(const QUrl &url)
{
    m_config.serverUrl = url;
    m_client.setBaseUrl(url);
    if (!m_running)
        return;
    halt();
    forgetWork();
    qCDebug(lcMiner) << "Mining moves to" << url.toString();
    requestWork(false);
}

// Ends what the loop is doing: the request for work, the timers, the search (never
// waiting for a worker). A proof on its way may still be answered (it may be a forged
// block), but within the grace period.
void Miner::halt()
{
    stopPolling();
    m_retryTimer->stop();
    m_search.stop();
    if (m_mineTicket == 0)
        return;
    const quint64 submission = m_submission;
    const qint64 blockIndex = m_blockIndex;
    m_lingering.insert(submission, m_mineTicket);
    m_mineTicket = 0;
    QTimer::singleShot(m_config.submitGraceMs, this,
                       [this, submission, blockIndex] { endGrace(submission, blockIndex); });
}

void Miner::stopPolling()
{
    m_pollTimer->stop();
    m_client.abort(m_workTicket);
    m_workTicket = 0;
}

void Miner::clearProblem()
{
    // After a failed POST /mine, a good /last_block says nothing of the next proof: the
    // back-off keeps growing until a proof gets an answer that is not a failure.
    if (m_running && !m_problem.isEmpty() && !m_mineFailing)
        emit recovered();
    if (!m_mineFailing)
        m_backoffMs = 0;
    m_problem.clear();
    m_unreachable = false;
}

void Miner::forgetWork()
{
    m_longPollMs = 0;
    m_pushAgainAt = 0;
    setUpdates(Updates::Unknown);
    m_backoffMs = 0;
    m_problem.clear();
    m_unreachable = false;
    m_lastBlock.reset();
    m_lastBlockHash.clear();
    m_blockIndex = 0;
    m_claimIndex = 0;
    m_claimTipHash.clear();
    m_mineFailing = false;
}

void Miner::endGrace(quint64 submission, qint64 blockIndex)
{
    const HttpClient::Ticket ticket = m_lingering.take(submission);
    if (ticket == 0)
        return;   // answered in time
    m_client.abort(ticket);
    emit problemOccurred(u"POST /mine (block %1): still no answer %2 later; not counted"_s
                             .arg(blockIndex)
                             .arg(MiningText::seconds(m_config.submitGraceMs)));
    if (!m_running && m_lingering.isEmpty()) {
        setState(State::Stopped);
        emit stopped();
    }
}

void Miner::offerTip(const MinerProtocol::Tip &tip)
{
    if (!m_running || m_state != State::Searching || isCurrentWork(tip))
        return;
    qCDebug(lcMiner) << "Tip moved to block" << tip.lastBlock.index() << "- dropping the work on"
                     << m_blockIndex;
    // A poll in flight may bring an older tip: this one is newer.
    stopPolling();
    emit searchAbandoned(m_blockIndex, tip.lastBlock.index());
    beginSearch(tip);
}

void Miner::setState(State state)
{
    if (m_state == state)
        return;
    m_state = state;
    emit stateChanged(state);
}

void Miner::requestWork(bool poll)
{
    if (!m_running)
        return;
    m_client.abort(m_workTicket);
    if (!poll)
        setState(State::Fetching);
    const bool longPoll = poll && isPushing() && !m_lastBlockHash.isEmpty();
    const QString path = longPoll ? MinerProtocol::longPollPath(m_lastBlockHash) : u"last_block"_s;
    const qint64 sentAt = m_clock.elapsed();
    m_workTicket = m_client.get(
        path,
        [this, poll, longPoll, sentAt](const HttpResult &answer) {
            m_workTicket = 0;
            handleWork(answer, poll, longPoll, sentAt);
        },
        longPoll ? m_longPollMs : 0);
}

bool Miner::isPushing() const
{
    return m_config.push && m_longPollMs > 0 && m_clock.elapsed() >= m_pushAgainAt;
}

// What an answer says of push: announced (with how long a wait lasts), or not.
void Miner::noteOffer(const HttpReply &reply)
{
    const std::optional<int> offer =
        MinerProtocol::longPollMs(reply.header(MinerProtocol::WaitHeader));
    m_longPollMs = offer.value_or(0);
    setUpdates(isPushing() ? Updates::Push : Updates::Polling);
}

void Miner::setUpdates(Updates updates)
{
    if (m_updates == updates)
        return;
    m_updates = updates;
    if (updates != Updates::Unknown)
        qCDebug(lcMiner) << "New blocks now come by" << updates;
    emit updatesChanged(updates);
}

void Miner::handleWork(const HttpResult &answer, bool poll, bool longPoll, qint64 sentAt)
{
    const Result<MinerProtocol::Tip> tip = answer
        ? MinerProtocol::parseWork(answer->status, answer->body)
        : Result<MinerProtocol::Tip>(answer.error());
    if (!tip && longPoll && m_state == State::Searching) {
        // Fall back to the poll. After a lost connection (a server restart) the next
        // answer that announces push brings it back; a server that answered but gave no
        // work (too many waiting) is left alone for a while.
        if (answer)
            m_pushAgainAt = m_clock.elapsed() + m_config.pushRetryMs;
        else
            m_longPollMs = 0;
        m_problem = tip.errorMessage();
        m_unreachable = !answer;
        emit problemOccurred(u"GET /last_block?wait: %1; polling every %2 instead"_s
                                 .arg(tip.errorMessage(),
                                      MiningText::seconds(m_config.pollIntervalMs)));
        setUpdates(Updates::Polling);
        schedulePoll(m_config.pollIntervalMs);
        return;
    }
    if (!tip) {
        if (poll && m_state == State::Searching) {
            // Keep searching the work we have; ask again after the back-off.
            const int delay = std::max(m_config.pollIntervalMs, nextBackoff());
            m_problem = tip.errorMessage();
            m_unreachable = !answer;
            emit problemOccurred(u"GET /last_block: %1; still searching, asking again in %2"_s
                                     .arg(tip.errorMessage(), MiningText::seconds(delay)));
            schedulePoll(delay);
        } else {
            retryLater(u"GET /last_block"_s, tip.errorMessage(), !answer);
        }
        return;
    }
    if (!tip->lastBlock.nextIndex()) {
        retryLater(u"GET /last_block"_s, u"the last block has index %1, the largest there is:"
                                         " no block can follow it"_s.arg(tip->lastBlock.index()),
                   false);
        return;
    }
    clearProblem();
    const bool held = m_clock.elapsed() - sentAt >= std::min(1000, m_longPollMs / 2);
    if (longPoll && isCurrentWork(*tip) && !held) {
        // The same block at once: this server does not hold the poll. Poll instead.
        qCDebug(lcMiner) << "The long poll returned at once with the same block: polling";
        m_pushAgainAt = m_clock.elapsed() + m_config.pushRetryMs;
    }
    noteOffer(*answer);
    if (!poll)
        beginSearch(*tip);
    else if (isCurrentWork(*tip))
        schedulePoll(m_config.pollIntervalMs);
    else
        offerTip(*tip);
}

bool Miner::isCurrentWork(const MinerProtocol::Tip &tip) const
{
    return m_lastBlock && tip.difficulty == m_difficulty && tip.lastBlock.hash() == m_lastBlockHash;
}

void Miner::beginSearch(const MinerProtocol::Tip &tip)
{
    const std::optional<std::int64_t> next = tip.lastBlock.nextIndex();
    if (!next) {
        retryLater(u"GET /last_block"_s, u"the last block has index %1, the largest there is:"
                                         " no block can follow it"_s.arg(tip.lastBlock.index()),
                   false);
        return;
    }
    m_lastBlock = tip.lastBlock;
    m_lastBlockHash = tip.lastBlock.hash();
    m_difficulty = tip.difficulty;
    m_blockIndex = *next;
    ProofSearch::Work work;
    work.midstate = Sha256::midstate(tip.lastBlock.blockString());
    work.difficulty = tip.difficulty;
    // A random start, so that miners on one block do not all race through the same
    // proofs: whoever has the hash rate wins in proportion, not always the fastest. Its
    // digit count suits the block string's tail, so each attempt stays one compression.
    work.firstProof = Pow::fastFirstProof(static_cast<int>(work.midstate.tail.size()),
                                          QRandomGenerator::global()->generate64());
    m_generation = m_search.start(work);
    setState(State::Searching);
    qCDebug(lcMiner) << "Searching block" << m_blockIndex << "at difficulty" << m_difficulty;
    emit searchStarted(m_blockIndex, tip.lastBlock, tip.difficulty);
    schedulePoll(m_config.pollIntervalMs);
}

void Miner::schedulePoll(int milliseconds)
{
    if (!m_running || m_state != State::Searching)
        return;
    if (isPushing()) {
        m_pollTimer->stop();
        if (m_workTicket == 0)
            requestWork(true);   // the long poll: the server answers when the tip moves
        return;
    }
    m_pollTimer->start(milliseconds);
}

void Miner::handleProof(quint64 generation, quint64 proof, quint64 attempts, double seconds)
{
    if (!m_running || generation != m_generation || m_state != State::Searching)
        return;
    stopPolling();
    setState(State::Submitting);
    emit proofFound(m_blockIndex, proof, seconds, attempts);
    if (!m_running)
        return;   // a slot stopped us
    const quint64 submission = ++m_lastSubmission;
    const qint64 blockIndex = m_blockIndex;
    m_submission = submission;
    m_mineTicket = m_client.post(u"mine"_s, MinerProtocol::mineRequest(proof, m_config.id),
                                 [this, submission, blockIndex, tip = m_lastBlockHash](
                                     const HttpResult &answer) {
                                     handleMine(submission, blockIndex, tip, answer);
                                 });
}

void Miner::handleSearchExhausted(quint64 generation)
{
    if (!m_running || generation != m_generation || m_state != State::Searching)
        return;
    stopPolling();
    retryLater(u"Search"_s, u"no proof below 2^63 meets difficulty %1"_s.arg(m_difficulty),
               false);
}

void Miner::handleMine(quint64 submission, qint64 blockIndex, const QByteArray &tipHash,
                       const HttpResult &answer)
{
    const bool lingering = m_lingering.remove(submission) > 0;
    if (!lingering)
        m_mineTicket = 0;
    if (!answer) {
        if (lingering)
            emit problemOccurred(u"POST /mine (block %1): %2"_s.arg(blockIndex)
                                     .arg(answer.errorMessage()));
        else
            retryLater(u"POST /mine"_s, answer.errorMessage(), true);
    } else {
        MinerProtocol::MineAnswer mine = MinerProtocol::parseMine(answer->status, answer->body);
        if (mine.kind == ReplyKind::Accepted)
            checkClaim(blockIndex, tipHash, &mine);
        const bool failed = mine.kind == ReplyKind::Error || mine.kind == ReplyKind::Rejected;
        if (mine.kind == ReplyKind::Accepted)
            qCDebug(lcMiner) << "Block" << blockIndex << "accepted";
        if (!lingering && m_running && failed) {
            // A classic server answers a lost race with a 500 or a 200 that says it failed:
            // if the tip has moved, that was a stale proof, and no reason to back off.
            recheckAfterFailure(blockIndex, mine);
        } else {
            emit answered(blockIndex, mine, 0);
            if (!lingering && m_running) {
                m_mineFailing = false;
                clearProblem();
                requestWork(false);
            }
        }
    }
    if (lingering && !m_running && m_lingering.isEmpty()) {
        setState(State::Stopped);
        emit stopped();
    }
}

// A server that says "New Block Forged" for a block while its chain never shows that
// block would be paid again and again for one block, as fast as it answers: a second
// claim for the same block on the same last block is not counted but rejected, so the
// miner backs off.
void Miner::checkClaim(qint64 blockIndex, const QByteArray &tipHash,
                       MinerProtocol::MineAnswer *mine)
{
    if (m_claimIndex == blockIndex && m_claimTipHash == tipHash && !tipHash.isEmpty()) {
        mine->kind = ReplyKind::Rejected;
        mine->reward = 0;
        mine->message += u" (block %1 was already claimed on this same last block, which the"
                         " server's chain never moved past: not counted)"_s.arg(blockIndex);
        return;
    }
    m_claimIndex = blockIndex;
    m_claimTipHash = tipHash;
}

void Miner::recheckAfterFailure(qint64 blockIndex, const MinerProtocol::MineAnswer &mine)
{
    m_client.abort(m_workTicket);
    m_workTicket = m_client.get(u"last_block"_s, [this, blockIndex, mine](const HttpResult &answer) {
        m_workTicket = 0;
        const Result<MinerProtocol::Tip> tip = answer
            ? MinerProtocol::parseWork(answer->status, answer->body)
            : Result<MinerProtocol::Tip>(answer.error());
        if (tip && !isCurrentWork(*tip)) {
            MinerProtocol::MineAnswer stale = mine;
            stale.kind = ReplyKind::Stale;
            stale.message += u" (the last block is now %1: someone else was first)"_s.arg(
                tip->lastBlock.index());
            emit answered(blockIndex, stale, 0);
            if (!m_running)
                return;
            m_mineFailing = false;
            clearProblem();
            beginSearch(*tip);
            return;
        }
        const int delay = nextBackoff();
        m_mineFailing = true;
        emit answered(blockIndex, mine, delay);
        if (m_running)
            waitToRetry(delay, mine.text(), false);
    });
}

void Miner::retryLater(const QString &what, const QString &problem, bool unreachable)
{
    if (!m_running)
        return;
    const int delay = nextBackoff();
    qCDebug(lcMiner).noquote() << what << "failed:" << problem;
    emit problemOccurred(
        u"%1: %2; retrying in %3"_s.arg(what, problem, MiningText::seconds(delay)));
    if (m_running)
        waitToRetry(delay, problem, unreachable);
}

void Miner::waitToRetry(int delayMs, const QString &problem, bool unreachable)
{
    m_search.stop();
    stopPolling();
    m_problem = problem;
    m_unreachable = unreachable;
    setState(State::WaitingToRetry);
    m_retryTimer->start(delayMs);
}

int Miner::nextBackoff()
{
    const int first = std::max(1, m_config.firstBackoffMs);
    const int most = std::max(first, m_config.maxBackoffMs);
    m_backoffMs = m_backoffMs == 0 ? first : std::min(most, m_backoffMs * 2);
    return m_backoffMs;
}
