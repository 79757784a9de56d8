#pragma once

#include <QPushButton>

// A push button that draws a clear focus ring (3 px in the palette's highlight colour)
// while it has the keyboard focus, whatever the style draws: the big Start button's
// focus must be seen from across the room, not guessed from a dotted line.
class FocusRingButton final : public QPushButton
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FocusRingButton)

public:
    static constexpr int RingWidth = 3;

    explicit FocusRingButton(const QString &text, QWidget *parent = nullptr);
    ~FocusRingButton() override;

protected:
    void paintEvent(QPaintEvent *event) override;
};
