/* main.c - haven-station (being written). */
#include <stdio.h>

int main(void)
{
    fputs("haven-station: not built yet\n", stderr);
    return 1;
}
