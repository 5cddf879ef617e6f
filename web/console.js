// Placeholder: the console script is written in the web-client branch.
"use strict";
