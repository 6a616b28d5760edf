/* library: the smaller resources of the shoot: productions (with their settings), days,
 * volumes, files, renditions, targets (post-house endpoints), deliveries and the event log.
 * Lists are built as JSON by PostgreSQL and sent as they come. */
#include "http.h"
#include "lib/store/event.h"
#include "lib/store/jobq.h"
#include "lib/media/profile.h"
#include "lib/core/json.h"
#include "lib/delivery/sealed.h"

#include <limits.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

