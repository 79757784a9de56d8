#include "core/logging.h"

Q_LOGGING_CATEGORY(lcStore, "blockforge.store")
Q_LOGGING_CATEGORY(lcServer, "blockforge.server")
Q_LOGGING_CATEGORY(lcMiner, "blockforge.miner")
