/* state_config.c - defaults of dn_state_config. */
#include "dragnet/state.h"

void dn_state_config_default(dn_state_config *cfg)
{
    cfg->max_entities = 2000000;
    cfg->max_facts_per_entity = 4096;
}
