#include "core/httpdeferred.h"

HttpDeferred::HttpDeferred(std::function<HttpAnswer()> answerNow)
    : m_answerNow{std::move(answerNow)}
{
}

void HttpDeferred::resolve(const HttpAnswer &answer)
{
    if (m_done)
        return;
    m_done = true;
    // Moved out first: delivering may close the connection, which drops this.
    const Deliver deliver = std::move(m_deliver);
    m_deliver = nullptr;
    if (deliver)
        deliver(answer);
}

void HttpDeferred::drop()
{
    if (m_done)
        return;
    m_done = true;
    m_deliver = nullptr;
    if (onDropped) {
        const std::function<void()> dropped = std::move(onDropped);
        onDropped = nullptr;
        dropped();
    }
}
