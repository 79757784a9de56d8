#pragma once

#include <optional>

#include <QByteArray>
#include <QByteArrayView>

#include "core/httphead.h"

struct HttpRequest
{
    HttpHead::Head head;
    QByteArray body;
};

// Frames the requests of one connection's byte stream: heads (HttpHead::parse) and
// bodies of Content-Length bytes, in order, pipelined or not. No sockets and no clock:
// the connection feeds it what arrives and asks for what is complete, so the framing is
// the same whatever chunks the bytes come in (fuzz_httphead checks that).
class HttpRequestReader final
{
public:
    enum class Event {
        None,       // nothing complete: more bytes are needed, or none will be read
        Continue,   // a head asked for "100 Continue" and its body is not all in yet
        Request,    // request() is complete
        Rejected,   // rejection(): answer it and close; nothing more is read
    };

    explicit HttpRequestReader(const HttpHead::Limits &limits);

    void append(QByteArrayView bytes);
    void finish();   // the client will send nothing more (end of stream)
    Event next();

    const HttpRequest &request() const { return m_request; }
    const HttpHead::Rejection &rejection() const { return m_rejection; }

    // The request under way did not complete in time: the rejection its bytes already
    // earn, else a 408. Nothing when no request is under way. Nothing is read after it.
    std::optional<HttpHead::Rejection> expire(int timeoutMs);

    // Some bytes of a request are in, but not all of it.
    bool isMidRequest() const;
    // After a rejection or a request that closes the connection: the rest is ignored.
    bool isDone() const { return m_state == State::Done; }
    qsizetype buffered() const { return m_buffer.size() - m_at; }
    qint64 consumed() const { return m_dropped + m_at; }   // stream bytes framed so far

private:
    enum class State { Head, Body, Done };

    void dropEmptyLines();

    HttpHead::Limits m_limits;
    QByteArray m_buffer;
    qsizetype m_at = 0;          // where the next unframed byte is in m_buffer
    HttpHead::Progress m_progress;   // of the current head
    qint64 m_dropped = 0;        // stream bytes removed from the front of m_buffer
    State m_state = State::Head;
    bool m_finished = false;
    bool m_continued = false;    // Continue was given for the current request
    HttpRequest m_request;
    HttpHead::Rejection m_rejection;
};
