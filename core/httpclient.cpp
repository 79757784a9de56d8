#include "core/httpclient.h"

#include <algorithm>

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QTimer>

using namespace Qt::StringLiterals;

namespace
{
const char AbortReason[] = "blockforgeAbortReason";

}

QByteArray HttpReply::header(const QByteArray &name) const
{
    for (const auto &[key, value] : headers) {
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return value;
    }
    return QByteArray();
}

HttpClient::HttpClient(QObject *parent)
    : QObject{parent}
    , m_network{new QNetworkAccessManager(this)}
{
}

HttpClient::~HttpClient()
{
    // Quietly: nobody wants the handlers of an object being destroyed.
    for (QNetworkReply *reply : std::as_const(m_pending)) {
        reply->disconnect(this);
        reply->abort();
    }
}

void HttpClient::setBaseUrl(const QUrl &url)
{
    m_baseUrl = url;
}

void HttpClient::setRequestTimeout(int milliseconds)
{
    m_timeoutMs = std::max(1, milliseconds);
}

QUrl HttpClient::endpoint(const QString &path) const
{
    QUrl base = m_baseUrl;
    if (!base.path().endsWith(u'/'))
        base.setPath(base.path() + u'/');
    return base.resolved(QUrl(path));
}

HttpClient::Ticket HttpClient::get(const QString &path, Handler handler, int extraWaitMs)
{
    return send(path, nullptr, std::move(handler), std::max(0, extraWaitMs));
}

HttpClient::Ticket HttpClient::post(const QString &path, const QByteArray &json, Handler handler)
{
    return send(path, &json, std::move(handler), 0);
}

void HttpClient::abort(Ticket ticket)
{
    QNetworkReply *reply = m_pending.take(ticket);
    if (!reply)
        return;
    reply->disconnect(this);
    reply->abort();
    reply->deleteLater();
}

HttpClient::Ticket HttpClient::send(const QString &path, const QByteArray *postBody,
                                    Handler handler, int extraWaitMs)
{
    QNetworkRequest request(endpoint(path));
    request.setTransferTimeout(m_timeoutMs + extraWaitMs);
    request.setRawHeader("Accept", "application/json");
    QNetworkReply *reply = nullptr;
    if (postBody) {
        request.setHeader(QNetworkRequest::ContentTypeHeader, u"application/json"_s);
        reply = m_network->post(request, *postBody);
    } else {
        reply = m_network->get(request);
    }
    const Ticket ticket = ++m_lastTicket;
    m_pending.insert(ticket, reply);

    // The transfer timeout catches a silent server; this catches one that trickles
    // bytes forever, and the size check one that never stops talking.
    const int deadline = DeadlineFactor * m_timeoutMs + extraWaitMs;
    QTimer::singleShot(deadline, reply, [reply, deadline] {
        reply->setProperty(AbortReason, u"no complete answer within %1 s"_s.arg(
                                            QString::number(deadline / 1000.0, 'g', 3)));
        reply->abort();
    });
    connect(reply, &QNetworkReply::downloadProgress, reply, [reply](qint64 received, qint64) {
        if (received > MaxAnswerBytes) {
            reply->setProperty(AbortReason, u"answer larger than %1 bytes"_s.arg(MaxAnswerBytes));
            reply->abort();
        }
    });
    connect(reply, &QNetworkReply::finished, this,
            [this, reply, ticket, handler = std::move(handler)] {
                reply->deleteLater();
                if (m_pending.take(ticket) != reply)
                    return;   // aborted by us
                handler(answerOf(reply));
            });
    return ticket;
}

HttpResult HttpClient::answerOf(QNetworkReply *reply)
{
    const QVariant reason = reply->property(AbortReason);
    const QVariant status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
    if (reason.isNull() && status.isValid() && status.toInt() > 0)
        return HttpReply{status.toInt(), reply->readAll(), reply->rawHeaderPairs()};
    if (!reason.isNull())
        return Error{reason.toString()};
    if (reply->error() == QNetworkReply::OperationCanceledError)
        return Error{u"no answer (timed out)"_s};   // our own aborts never get here
    return Error{reply->errorString()};
}
