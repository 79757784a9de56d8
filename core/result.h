#pragma once

#include <optional>
#include <utility>

#include <QString>

// How core/ reports a failure of something it does at once: a function returns a
// Result<T>, either a value or an Error whose message says what failed, on what, and
// why (plain text, ready to show). Asynchronous work reports through a signal that
// carries such a message instead. `return Error{u"..."_s};` fails,
// `return value;` succeeds; callers test the result like a pointer:
//
//     const Result<QUrl> url = Validate::nodeUrl(text);
//     if (!url)
//         return url.error();              // an Error converts to any Result
//     use(*url);
struct Error
{
    QString message;
};

template<typename T>
class [[nodiscard]] Result
{
public:
    Result(const T &value) : m_value{value} {}
    Result(T &&value) : m_value{std::move(value)} {}
    Result(Error error) : m_error{std::move(error.message)} {}

    bool ok() const { return m_value.has_value(); }
    explicit operator bool() const { return ok(); }
    const T &value() const { return *m_value; }
    const T &operator*() const { return *m_value; }
    const T *operator->() const { return &*m_value; }
    T &operator*() { return *m_value; }   // to move the value out: std::move(*result)
    T *operator->() { return &*m_value; }
    T valueOr(T fallback) const { return m_value ? *m_value : std::move(fallback); }
    // The failure as an Error, to pass it on; its message is empty when ok().
    Error error() const { return Error{m_error}; }
    const QString &errorMessage() const { return m_error; }

private:
    std::optional<T> m_value;
    QString m_error;
};

// Success or a failure, without a value.
template<>
class [[nodiscard]] Result<void>
{
public:
    Result() = default;
    Result(Error error) : m_failed{true}, m_error{std::move(error.message)} {}

    bool ok() const { return !m_failed; }
    explicit operator bool() const { return ok(); }
    Error error() const { return Error{m_error}; }
    const QString &errorMessage() const { return m_error; }

private:
    bool m_failed = false;
    QString m_error;
};
