// System instruction handlers (segmentation, control transfers, CRs, MSRs, I/O...). Owned by the system code.
import './segments.js';
import './io.js';
import './far.js';
import './software-int.js';
import './control.js';
import './tables.js';
import './protect.js';
import './sysenter.js';
import './debug.js';
