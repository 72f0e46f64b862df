#!/bin/sh
# The lab runs a real Xen: physinfo, domain list, create/destroy a domain.
exec /lab/bin/xen-probe
