#pragma once

#include <functional>

#include "core/httpanswer.h"

// An answer given later: a long poll (GET /last_block?wait=HASH). The handler returns
// HttpAnswer::later(deferred) and keeps the deferred; the connection keeps the answer's
// place in order, writes nothing after it and takes no further request until resolve().
// It still notices its client: when the client ends its stream, the deferred is resolved
// at once with answerNow(); when the connection closes, the deferred is dropped (resolve()
// then does nothing) and onDropped() runs. One thread: the connection's.
class HttpDeferred final
{
public:
    using Deliver = std::function<void(const HttpAnswer &answer)>;

    // answerNow: what to answer when it cannot wait any longer.
    explicit HttpDeferred(std::function<HttpAnswer()> answerNow);
    HttpDeferred(const HttpDeferred &) = delete;
    HttpDeferred &operator=(const HttpDeferred &) = delete;

    // The first call answers; later ones, and any after the connection closed, do nothing.
    void resolve(const HttpAnswer &answer);
    void resolveNow() { resolve(m_answerNow()); }
    bool isPending() const { return !m_done; }

    std::function<void()> onDropped;   // the connection closed before an answer

    // For the connection.
    void attach(Deliver deliver) { m_deliver = std::move(deliver); }
    void drop();

private:
    std::function<HttpAnswer()> m_answerNow;
    Deliver m_deliver;
    bool m_done = false;
};
