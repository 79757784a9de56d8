#pragma once

#include <QLabel>

// A one-line plain-text label that never asks for the width of its text: when it is
// narrower, the text is elided ("…") instead of pushing the window wider or being
// drawn under its neighbour. text() and the tooltip keep the whole text.
class ElidedLabel final : public QLabel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ElidedLabel)

public:
    explicit ElidedLabel(QWidget *parent = nullptr);
    ~ElidedLabel() override;

    QSize minimumSizeHint() const override;
    bool isElided() const;   // the text does not fit the label's width

protected:
    void paintEvent(QPaintEvent *event) override;
};
