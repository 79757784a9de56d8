#pragma once

#include <QWidget>

class QLabel;
class QPlainTextEdit;
struct Block;

// The last block of the chain in a readable form: index, hash, previous hash, proof,
// time and one line per transaction. Every field is plain text (a server's strings
// never render as markup) and can be selected and copied.
class LastBlockView final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LastBlockView)

public:
    explicit LastBlockView(QWidget *parent = nullptr);
    ~LastBlockView() override;

    void setBlock(const Block &block);

    // "alice gets 1 (reward)", "bob -> carol: 5", or the JSON of an odd entry.
    static QString describeTransactions(const Block &block);

private:
    QLabel *m_index = nullptr;          // children of this
    QLabel *m_hash = nullptr;
    QLabel *m_previousHash = nullptr;
    QLabel *m_proof = nullptr;
    QLabel *m_time = nullptr;
    QPlainTextEdit *m_transactions = nullptr;
};
