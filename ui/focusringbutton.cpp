#include "ui/focusringbutton.h"

#include <QPainter>
#include <QPen>

FocusRingButton::FocusRingButton(const QString &text, QWidget *parent)
    : QPushButton{text, parent}
{
}

FocusRingButton::~FocusRingButton() = default;

void FocusRingButton::paintEvent(QPaintEvent *event)
{
    QPushButton::paintEvent(event);
    if (!hasFocus())
        return;
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing, false);
    QPen pen(palette().color(QPalette::Active, QPalette::Highlight), RingWidth);
    pen.setJoinStyle(Qt::MiterJoin);
    painter.setPen(pen);
    painter.setBrush(Qt::NoBrush);
    // The pen is centred on the path: inset by half its width to stay inside.
    const qreal inset = RingWidth / 2.0;
    painter.drawRect(QRectF(rect()).adjusted(inset, inset, -inset, -inset));
}
