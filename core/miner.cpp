#include "core/miner.h"

#include <algorithm>
#include <cmath>

#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QRandomGenerator>
#include <QTimer>

#include "core/canonicaljson.h"
#include "core/engines/engines.h"
#include "core/engines/searchengine.h"
#include "core/logging.h"
#include "core/pow.h"
#include "core/sha256.h"

using namespace Qt::StringLiterals;
using Json = CanonicalJson::Json;

namespace
{
constexpr int SnippetChars = 200;
constexpr qint64 MaxAnswerBytes = 4 << 20;   // a chain server's answer is far smaller
constexpr int DeadlineFactor = 3;             // whole request, in request timeouts
const char AbortReason[] = "blockforgeAbortReason";

// The start of a body as one line of plain text: at most SnippetChars characters,
// control characters shown as spaces.
QString snippet(const QByteArray &body)
{
    if (body.isEmpty())
        return u"(empty body)"_s;
    const qsizetype window = SnippetChars * 4 + 4;   // enough UTF-8 for SnippetChars
    const QString decoded = QString::fromUtf8(body.left(window));
    const bool truncated = decoded.size() > SnippetChars || body.size() > window;
    QString text = decoded.left(SnippetChars);
    for (QChar &c : text) {
        if (c.unicode() < 0x20 || c.unicode() == 0x7f)
            c = u' ';
    }
    text = text.simplified();
    if (truncated)
        text += u" ..."_s;
    return text;
}

QString seconds(int milliseconds)
{
    return milliseconds % 1000 == 0 ? u"%1 s"_s.arg(milliseconds / 1000)
                                    : u"%1 s"_s.arg(milliseconds / 1000.0, 0, 'g', 3);
}

std::optional<qint64> integerOf(const Json &json)
{
    if (json.is_number_integer())
        return json.is_number_unsigned() ? static_cast<qint64>(std::min<std::uint64_t>(
                                               json.get<std::uint64_t>(), Pow::MaxProof))
                                         : json.get<std::int64_t>();
    if (json.is_number_float()) {
        const double value = json.get<double>();
        if (std::isfinite(value) && value == std::floor(value) && std::abs(value) < 9e15)
            return static_cast<qint64>(value);
    }
    return std::nullopt;
}
}

struct Miner::Answer
{
    int status = 0;                  // HTTP status, 0 when there was no HTTP answer
    QByteArray body;
    QString networkError;            // when status is 0
};

Miner::Miner(const Config &config, QObject *parent)
    : QObject{parent}
    , m_config{config}
    , m_network{new QNetworkAccessManager(this)}
    , m_pollTimer{new QTimer(this)}
    , m_retryTimer{new QTimer(this)}
    , m_rateTimer{new QTimer(this)}
    , m_search{std::make_unique<ProofSearch>(config.engine ? *config.engine : Engines::best(),
                                             config.threads, config.priority)}
{
    m_pollTimer->setSingleShot(true);
    m_retryTimer->setSingleShot(true);
    m_rateTimer->setInterval(std::max(100, m_config.hashRateIntervalMs));
    connect(m_pollTimer, &QTimer::timeout, this, [this] { requestWork(true); });
    connect(m_retryTimer, &QTimer::timeout, this, [this] { requestWork(false); });
    connect(m_rateTimer, &QTimer::timeout, this, &Miner::updateHashRate);
    connect(m_search.get(), &ProofSearch::proofFound, this, &Miner::handleProof);
    connect(m_search.get(), &ProofSearch::searchExhausted, this, &Miner::handleSearchExhausted);
}

Miner::~Miner()
{
    // Quietly: a window being destroyed does not want signals any more.
    const QSignalBlocker blocker(this);
    stop();
}

QString Miner::engineName() const
{
    return m_search->engine().name();
}

int Miner::threadCount() const
{
    return m_search->threadCount();
}

ProofSearch::Priority Miner::priority() const
{
    return m_search->priority();
}

double Miner::averageHashRate() const
{
    const qint64 ms = uptimeMs();
    return ms > 0 ? static_cast<double>(attempts()) * 1000.0 / static_cast<double>(ms) : 0.0;
}

quint64 Miner::attempts() const
{
    return m_running ? m_search->attempts() - m_attemptsBase : m_runAttempts;
}

qint64 Miner::uptimeMs() const
{
    return m_running ? m_uptime.elapsed() : m_runMs;
}

std::optional<QString> Miner::readId(const QString &path, QString *error)
{
    auto fail = [error](const QString &message) -> std::optional<QString> {
        if (error)
            *error = message;
        return std::nullopt;
    };
    if (path.isEmpty())
        return fail(u"No miner id file given"_s);
    QFile file(path);
    if (!file.exists())
        return fail(u"Cannot read the miner id from \"%1\": the file does not exist "
                    "(put your id in it, e.g. your name)"_s.arg(path));
    if (!file.open(QIODevice::ReadOnly))
        return fail(u"Cannot read the miner id from \"%1\": %2"_s.arg(path, file.errorString()));
    const QByteArray bytes = file.read(64 * 1024);
    if (file.error() != QFileDevice::NoError)
        return fail(u"Cannot read the miner id from \"%1\": %2"_s.arg(path, file.errorString()));
    const QString id = QString::fromUtf8(bytes).trimmed();
    if (id.isEmpty())
        return fail(u"The miner id file \"%1\" is empty: put your id in it"_s.arg(path));
    return id;
}

bool Miner::start(QString *error)
{
    if (m_running)
        return true;
    QString problem;
    const std::optional<QString> id = readId(m_config.idFile, &problem);
    if (!id) {
        if (error)
            *error = problem;
        emit errorOccurred(problem);
        return false;
    }
    if (!m_config.serverUrl.isValid() || m_config.serverUrl.host().isEmpty()) {
        problem = u"Invalid server URL \"%1\""_s.arg(m_config.serverUrl.toString());
        if (error)
            *error = problem;
        emit errorOccurred(problem);
        return false;
    }
    m_id = *id;
    m_running = true;
    m_backoffMs = 0;
    m_lastBlock.reset();
    m_lastBlockHash.clear();
    m_blockIndex = 0;
    m_attemptsBase = m_search->attempts();
    m_rateAttempts = m_attemptsBase;
    m_uptime.start();
    m_rateNsecs = 0;
    m_hashRate = 0;
    m_rateTimer->start();
    qCDebug(lcMiner) << "Mining on" << m_config.serverUrl.toString() << "as" << m_id << "with"
                    << engineName() << threadCount() << "threads";
    emit started();
    requestWork(false);
    return true;
}

void Miner::stop()
{
    if (!m_running)
        return;
    m_running = false;
    m_state = State::Stopped;
    abortReply(m_workReply);
    abortReply(m_mineReply);
    m_pollTimer->stop();
    m_retryTimer->stop();
    m_rateTimer->stop();
    m_search->stop();
    m_runAttempts = m_search->attempts() - m_attemptsBase;
    m_runMs = m_uptime.elapsed();
    m_hashRate = 0;
    qCDebug(lcMiner) << "Stopped after" << m_runMs << "ms";
    emit hashRateChanged(0);
    emit stopped();
}

QUrl Miner::endpoint(const QString &name) const
{
    QUrl base = m_config.serverUrl;
    if (!base.path().endsWith(u'/'))
        base.setPath(base.path() + u'/');
    return base.resolved(QUrl(name));
}

QNetworkReply *Miner::send(const QString &name, const QByteArray *postBody)
{
    QNetworkRequest request(endpoint(name));
    request.setTransferTimeout(m_config.requestTimeoutMs);
    request.setRawHeader("Accept", "application/json");
    QNetworkReply *reply = nullptr;
    if (postBody) {
        request.setHeader(QNetworkRequest::ContentTypeHeader, u"application/json"_s);
        reply = m_network->post(request, *postBody);
    } else {
        reply = m_network->get(request);
    }
    // The transfer timeout catches a silent server; this catches one that trickles
    // bytes forever, and the size check one that never stops talking.
    QTimer::singleShot(DeadlineFactor * m_config.requestTimeoutMs, reply, [reply, this] {
        reply->setProperty(AbortReason, u"no complete answer within %1"_s.arg(
                                            seconds(DeadlineFactor * m_config.requestTimeoutMs)));
        reply->abort();
    });
    connect(reply, &QNetworkReply::downloadProgress, reply, [reply](qint64 received, qint64) {
        if (received > MaxAnswerBytes) {
            reply->setProperty(AbortReason, u"answer larger than %1 bytes"_s.arg(MaxAnswerBytes));
            reply->abort();
        }
    });
    return reply;
}

Miner::Answer Miner::answerOf(QNetworkReply *reply)
{
    Answer answer;
    const QVariant status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
    if (status.isValid() && status.toInt() > 0 && reply->property(AbortReason).isNull()) {
        answer.status = status.toInt();
        answer.body = reply->readAll();
        return answer;
    }
    const QVariant reason = reply->property(AbortReason);
    if (!reason.isNull())
        answer.networkError = reason.toString();
    else if (reply->error() == QNetworkReply::OperationCanceledError)
        answer.networkError = u"no answer (timed out)"_s;   // our own aborts are disconnected
    else
        answer.networkError = reply->errorString();
    return answer;
}

void Miner::abortReply(QPointer<QNetworkReply> &reply)
{
    if (!reply)
        return;
    reply->disconnect(this);
    reply->abort();
    reply->deleteLater();
    reply.clear();
}

void Miner::requestWork(bool poll)
{
    if (!m_running)
        return;
    abortReply(m_workReply);
    if (!poll)
        m_state = State::Fetching;
    QNetworkReply *reply = send(u"last_block"_s, nullptr);
    m_workReply = reply;
    connect(reply, &QNetworkReply::finished, this, [this, reply, poll] {
        reply->deleteLater();
        if (m_workReply == reply)
            m_workReply.clear();
        handleWork(reply, poll);
    });
}

void Miner::handleWork(QNetworkReply *reply, bool poll)
{
    const Answer answer = answerOf(reply);
    QString problem;
    std::optional<Block> block;
    int difficulty = Pow::DefaultDifficulty;
    if (answer.status == 0) {
        problem = answer.networkError;
    } else if (answer.status < 200 || answer.status > 299) {
        problem = u"HTTP %1: %2"_s.arg(answer.status).arg(snippet(answer.body));
    } else {
        QString jsonError;
        const std::optional<Json> json = CanonicalJson::parse(answer.body, &jsonError);
        if (!json) {
            problem = u"answer is not JSON (%1)"_s.arg(jsonError);
        } else if (!json->is_object() || !json->contains("last_block")) {
            problem = u"answer has no \"last_block\""_s;
        } else {
            QString blockError;
            block = Block::fromJson((*json)["last_block"], &blockError);
            if (!block)
                problem = u"\"last_block\" is not a valid block (%1)"_s.arg(blockError);
            if (block && json->contains("difficulty")) {
                const std::optional<qint64> d = integerOf((*json)["difficulty"]);
                if (d && *d >= 0 && *d <= Pow::MaxDifficulty) {
                    difficulty = static_cast<int>(*d);
                } else {
                    problem = u"\"difficulty\" is not an integer from 0 to %1"_s.arg(
                        Pow::MaxDifficulty);
                    block.reset();
                }
            }
        }
        if (!problem.isEmpty())
            problem = u"HTTP %1, %2: %3"_s.arg(answer.status).arg(problem, snippet(answer.body));
    }

    if (!block) {
        if (poll) {
            // Keep searching the work we have; ask again after the back-off.
            const int delay = std::max(m_config.pollIntervalMs, nextBackoff());
            emit errorOccurred(
                u"GET /last_block: %1; asking again in %2"_s.arg(problem, seconds(delay)));
            schedulePoll(delay);
        } else {
            retryLater(u"GET /last_block"_s, problem);
        }
        return;
    }

    m_backoffMs = 0;
    const QByteArray hash = block->hash();
    const bool sameWork = m_lastBlock && hash == m_lastBlockHash && difficulty == m_difficulty;
    if (poll && sameWork) {
        schedulePoll(m_config.pollIntervalMs);
        return;
    }
    if (poll && m_state == State::Searching) {
        qCDebug(lcMiner) << "Tip moved to block" << block->index() << "- dropping the work on"
                        << m_blockIndex;
        m_search->stop();
        emit searchAbandoned(m_blockIndex);
    }
    beginSearch(*block, difficulty);
}

void Miner::beginSearch(const Block &block, int difficulty)
{
    m_lastBlock = block;
    m_lastBlockHash = block.hash();
    m_difficulty = difficulty;
    m_blockIndex = block.index() + 1;
    ProofSearch::Work work;
    work.midstate = Sha256::midstate(block.blockString());
    work.difficulty = difficulty;
    // A random start, so that miners on one block do not all race through the same
    // proofs: whoever has the hash rate wins in proportion, not always the fastest.
    work.firstProof = QRandomGenerator::global()->generate64() >> 24;
    m_state = State::Searching;
    m_generation = m_search->start(work);
    qCDebug(lcMiner) << "Searching block" << m_blockIndex << "at difficulty" << difficulty;
    emit searchStarted(m_blockIndex, block, difficulty);
    schedulePoll(m_config.pollIntervalMs);
}

void Miner::schedulePoll(int milliseconds)
{
    if (m_running && m_state == State::Searching)
        m_pollTimer->start(milliseconds);
}

void Miner::handleProof(quint64 generation, quint64 proof, quint64 attempts, double seconds)
{
    if (!m_running || generation != m_generation || m_state != State::Searching)
        return;
    m_pollTimer->stop();
    abortReply(m_workReply);
    m_state = State::Submitting;
    emit proofFound(proof, seconds, attempts);
    if (!m_running)
        return;   // a slot stopped us
    Json body = Json::object();
    body["proof"] = static_cast<std::uint64_t>(proof);
    body["id"] = m_id.toStdString();
    const QByteArray bytes = CanonicalJson::dump(body);
    QNetworkReply *reply = send(u"mine"_s, &bytes);
    m_mineReply = reply;
    connect(reply, &QNetworkReply::finished, this, [this, reply] {
        reply->deleteLater();
        if (m_mineReply == reply)
            m_mineReply.clear();
        handleMine(reply);
    });
}

void Miner::handleSearchExhausted(quint64 generation)
{
    if (!m_running || generation != m_generation || m_state != State::Searching)
        return;
    m_pollTimer->stop();
    abortReply(m_workReply);
    retryLater(u"Search"_s, u"no proof below 2^63 meets difficulty %1"_s.arg(m_difficulty));
}

void Miner::handleMine(QNetworkReply *reply)
{
    const Answer answer = answerOf(reply);
    if (answer.status == 0) {
        retryLater(u"POST /mine"_s, answer.networkError);
        return;
    }
    const std::optional<Json> json = CanonicalJson::parse(answer.body);
    const bool hasMessage = json && json->is_object() && json->contains("message")
        && (*json)["message"].is_string();
    if (!hasMessage) {
        const QString text = u"HTTP %1: %2"_s.arg(answer.status).arg(snippet(answer.body));
        emit serverReplied(answer.status, text, ReplyKind::Error);
        retryLater(u"POST /mine"_s, text);
        return;
    }
    const QString message = QString::fromStdString((*json)["message"].get<std::string>());
    const bool ok = answer.status >= 200 && answer.status <= 299;
    const bool staleFlag = json->contains("stale") && (*json)["stale"].is_boolean()
        && (*json)["stale"].get<bool>();
    const bool stale = answer.status == 409 || staleFlag
        || message.contains(u"stale"_s, Qt::CaseInsensitive);
    std::optional<qint64> reward;
    if (json->contains("reward"))
        reward = integerOf((*json)["reward"]);
    const bool forged = message.trimmed().compare(u"New Block Forged"_s, Qt::CaseInsensitive) == 0;
    ReplyKind kind = ReplyKind::Rejected;
    if (ok && !stale && (forged || reward))
        kind = ReplyKind::Accepted;
    else if (stale)
        kind = ReplyKind::Stale;
    else if (answer.status >= 500)
        kind = ReplyKind::Error;

    const QString shown = snippet(message.toUtf8());
    switch (kind) {
    case ReplyKind::Accepted:
        ++m_accepted;
        m_coins += reward.value_or(1);
        qCDebug(lcMiner) << "Block" << m_blockIndex << "accepted; coins" << m_coins;
        break;
    case ReplyKind::Stale:
        ++m_stale;
        break;
    case ReplyKind::Rejected:
        ++m_rejected;
        break;
    case ReplyKind::Error:
        break;
    }
    emit serverReplied(answer.status, shown, kind);
    if (kind == ReplyKind::Accepted)
        emit coinsChanged(m_coins);
    if (kind != ReplyKind::Error)
        emit countersChanged(m_accepted, m_stale, m_rejected);
    if (!m_running)
        return;   // a slot stopped us
    if (kind == ReplyKind::Error) {
        retryLater(u"POST /mine"_s, u"HTTP %1: %2"_s.arg(answer.status).arg(shown));
        return;
    }
    m_backoffMs = 0;
    requestWork(false);
}

void Miner::retryLater(const QString &what, const QString &problem)
{
    if (!m_running)
        return;
    m_search->stop();
    m_state = State::WaitingToRetry;
    const int delay = nextBackoff();
    qCDebug(lcMiner).noquote() << what << "failed:" << problem;
    emit errorOccurred(u"%1: %2; retrying in %3"_s.arg(what, problem, seconds(delay)));
    if (m_running && m_state == State::WaitingToRetry)
        m_retryTimer->start(delay);
}

int Miner::nextBackoff()
{
    const int first = std::max(1, m_config.firstBackoffMs);
    const int most = std::max(first, m_config.maxBackoffMs);
    m_backoffMs = m_backoffMs == 0 ? first : std::min(most, m_backoffMs * 2);
    return m_backoffMs;
}

void Miner::updateHashRate()
{
    const qint64 nsecs = m_uptime.nsecsElapsed();
    const quint64 now = m_search->attempts();
    const qint64 span = nsecs - m_rateNsecs;
    if (span <= 0)
        return;
    m_hashRate = static_cast<double>(now - m_rateAttempts) * 1e9 / static_cast<double>(span);
    m_rateAttempts = now;
    m_rateNsecs = nsecs;
    emit hashRateChanged(m_hashRate);
}
