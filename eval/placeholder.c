/* placeholder.c - keeps mo_eval non-empty until the evaluators land; delete then. */
int mo_eval_placeholder_(void);
int mo_eval_placeholder_(void) { return 0; }
