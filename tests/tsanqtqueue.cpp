// ThreadSanitizer builds only (linked into every test by blockforge_add_test): makes the
// hand-off through Qt's event queue visible to TSan instead of suppressing what it hides.
//
// Debian's Qt is not instrumented and its QMutex is a bare futex, so TSan cannot see
// that a call queued by one thread (the functor of invokeMethod, a signal's arguments)
// happens before another thread runs it, and reports the hand-off as a race. Here our
// code's calls that may queue, QMetaObject::invokeMethodImpl (behind invokeMethod with a
// functor) and QMetaObject::activate (behind every signal we emit), release a sync point
// before Qt queues anything, and every MetaCall event acquires it before it is delivered:
// the order Qt's queue mutex guarantees. A thread that queues nothing releases nothing,
// so a race with it is still reported (tst_tsanrace checks that).
//
// A queued functor is also freed on the receiving thread, after its call: Qt frees it
// wherever its last reference drops, often back in the posting thread, synchronized by
// an atomic count inside Qt that TSan cannot see either.
#include <dlfcn.h>

#include <QCoreApplication>
#include <QEvent>
#include <QObject>
#include <QThread>

extern "C" void __tsan_acquire(void *address);
extern "C" void __tsan_release(void *address);

namespace
{
char queueSync;   // the address TSan syncs on

template<typename Function>
Function realQtFunction(const char *symbol)
{
    void *address = dlvsym(RTLD_NEXT, symbol, "Qt_6");
    if (!address)
        qFatal("tsanqtqueue: no %s in Qt", symbol);
    return reinterpret_cast<Function>(address);
}

// Holds a reference to a queued functor until this event, queued right after it, is
// deleted on the receiving thread (delivered, or dropped with its receiver).
class SlotRelease final : public QEvent
{
public:
    explicit SlotRelease(QtPrivate::QSlotObjectBase *slot)
        : QEvent{type()}
        , m_slot{slot}
    {
        m_slot->ref();
    }
    ~SlotRelease() override
    {
        __tsan_acquire(&queueSync);
        m_slot->destroyIfLastRef();
    }
    Q_DISABLE_COPY_MOVE(SlotRelease)

private:
    static Type type()
    {
        static const auto registered = static_cast<Type>(QEvent::registerEventType());
        return registered;
    }

    QtPrivate::QSlotObjectBase *m_slot;
};

bool acquireBeforeDelivery(void **data)
{
    const auto *event = static_cast<const QEvent *>(data[1]);
    if (event && event->type() == QEvent::MetaCall)
        __tsan_acquire(&queueSync);
    return false;   // deliver as usual
}

const bool registered = QInternal::registerCallback(QInternal::EventNotifyCallback,
                                                    acquireBeforeDelivery);
}

bool QMetaObject::invokeMethodImpl(QObject *object, QtPrivate::QSlotObjectBase *slot,
                                   Qt::ConnectionType type, void *ret)
{
    using Real = bool (*)(QObject *, QtPrivate::QSlotObjectBase *, Qt::ConnectionType, void *);
    static const Real real = realQtFunction<Real>(
        "_ZN11QMetaObject16invokeMethodImplEP7QObjectPN9QtPrivate15QSlotObjectBaseEN2Qt14ConnectionTypeEPv");
    Q_UNUSED(registered);
    const bool queued = type == Qt::QueuedConnection
        || (type == Qt::AutoConnection && object && object->thread() != QThread::currentThread());
    SlotRelease *release = queued && object ? new SlotRelease(slot) : nullptr;
    __tsan_release(&queueSync);
    const bool ok = real(object, slot, type, ret);
    if (release && ok)
        QCoreApplication::postEvent(object, release);
    else
        delete release;
    return ok;
}

void QMetaObject::activate(QObject *sender, const QMetaObject *meta, int localSignalIndex,
                           void **argv)
{
    using Real = void (*)(QObject *, const QMetaObject *, int, void **);
    static const Real real = realQtFunction<Real>("_ZN11QMetaObject8activateEP7QObjectPKS_iPPv");
    __tsan_release(&queueSync);
    real(sender, meta, localSignalIndex, argv);
}
