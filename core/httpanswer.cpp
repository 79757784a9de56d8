#include "core/httpanswer.h"

#include "core/canonicaljson.h"
#include "core/httpdeferred.h"

namespace
{
QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 417: return "Expectation Failed";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return "Status";
    }
}
}

HttpAnswer HttpAnswer::json(int status, const QByteArray &body, const QByteArray &extraHeaders)
{
    HttpAnswer answer;
    answer.status = status;
    answer.body = body;
    answer.extraHeaders = extraHeaders;
    return answer;
}

HttpAnswer HttpAnswer::message(int status, const QString &text, const QByteArray &extraHeaders)
{
    return json(status, CanonicalJson::dump(CanonicalJson::Json{{"message", text.toStdString()}}),
                extraHeaders);
}

HttpAnswer HttpAnswer::later(std::shared_ptr<HttpDeferred> deferred)
{
    HttpAnswer answer;
    answer.deferred = std::move(deferred);
    return answer;
}

QByteArray HttpAnswer::head(Connection connection) const
{
    QByteArray head;
    head.reserve(128 + extraHeaders.size());
    head += "HTTP/1.1 ";
    head += QByteArray::number(status);
    head += ' ';
    head += reasonPhrase(status);
    head += "\r\nContent-Type: ";
    head += contentType;
    head += "\r\nContent-Length: ";
    head += QByteArray::number(bodySize());
    head += "\r\n";
    if (connection == Connection::Close)
        head += "Connection: close\r\n";
    else if (connection == Connection::KeepAlive)
        head += "Connection: keep-alive\r\n";
    head += extraHeaders;
    head += "\r\n";
    return head;
}
