/* cdl-tee's main(): compiled into each TA executable (cdl-tee, cdl-tee-test). */
#include "host.h"

int main(int argc, char **argv)
{
	return cdl_tee_main(argc, argv);
}
