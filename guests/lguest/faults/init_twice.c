/* init_twice -- makes LGUEST_INIT twice.  It happens once.
 * lguest: "already have lguest_data". */
#include "faults.h"

void main(void)
{
        lguest_init(&lguest_data);
        lguest_init(&lguest_data);
}
