#include "app/stopsignal.h"

#include <csignal>

#include <sys/socket.h>
#include <unistd.h>

#include <QObject>
#include <QSocketNotifier>

namespace
{
int s_pipe[2] = {-1, -1};   // for the whole process: [0] read on the loop, [1] by the handler

void onSignal(int)
{
    const char byte = 1;
    [[maybe_unused]] const ssize_t written = ::write(s_pipe[1], &byte, 1);
}
}

bool onStopSignal(QObject *context, std::function<void()> stop)
{
    if (s_pipe[0] < 0 && ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s_pipe) != 0)
        return false;
    auto *notifier = new QSocketNotifier(s_pipe[0], QSocketNotifier::Read, context);
    QObject::connect(notifier, &QSocketNotifier::activated, context,
                     [notifier, stop = std::move(stop)] {
                         char byte = 0;
                         [[maybe_unused]] const ssize_t got = ::read(s_pipe[0], &byte, 1);
                         notifier->setEnabled(false);
                         stop();
                     });
    struct sigaction action = {};
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    return ::sigaction(SIGINT, &action, nullptr) == 0 && ::sigaction(SIGTERM, &action, nullptr) == 0;
}
