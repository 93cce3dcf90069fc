/* dragnet.h - the whole public API of Dragnet. */
#ifndef DRAGNET_DRAGNET_H
#define DRAGNET_DRAGNET_H

#include "dragnet/alert.h"
#include "dragnet/engine.h"
#include "dragnet/error.h"
#include "dragnet/event.h"
#include "dragnet/rules.h"
#include "dragnet/state.h"

#endif
