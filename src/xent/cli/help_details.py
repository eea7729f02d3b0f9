"""The full help of the options whose ``--help`` line is short (issue 24, item 16):
``--help`` fits a screen or two, and the command reference (docs/cli.md, written by
scripts/cli_reference.py) gives each option its full text from here, keyed by the short
help. Not imported by the commands: only by the reference and its test."""

DETAILS = {
    "Match rows by this column, not by order.": (
        "Match rows by this column instead of by order (both files are read in memory)."
    ),
    "The K rows that differ most (default 10).": (
        "List the K rows where the two losses differ most (default 10)."
    ),
    "Exit 3 when B is worse by more than MARGIN (0).": (
        "A gate for scripts: after the output, exit 3 when B's mean loss is above A's by "
        "more than MARGIN (default 0; with --gate-on, a bound of the --ci interval)."
    ),
    "Token statistics: kl,top1,delta_p,perplexity.": (
        "Language models, token by token (as llama-perplexity --kl-divergence): kl, top1, "
        "delta_p, perplexity, comma-separated, or all, or none (default auto: all of them "
        "for logits, log-probabilities or a vocabulary of 1,024 tokens or more)."
    ),
    "Exact percentiles up to N tokens (default 2^20).": (
        "The token statistics' percentiles are exact up to N tokens (default 1,048,576), "
        "beyond from a quantile sketch whose rank error the output states."
    ),
    "Counts per row (summed) or per document.": (
        "Whose the byte and word counts are: each row's (default; summed), or each "
        "document's, the same on all its rows (taken once; needs --sequence-column)."
    ),
    "Class names, comma-separated.": (
        "Class names, comma-separated (default: $XENT_CLASSES; five classes are the "
        "article's dog,fox,horse,eagle,squirrel; otherwise 0,1,2,...)."
    ),
    "The true class: a name, an index, or P per class.": (
        "The true class: a name (dog), an index (0), or one value per class (1,0,0,0,0 "
        "one-hot; 0.9,0.1,0,0,0 soft). Repeat once per --pred, or give one for all."
    ),
    "Predicted probabilities, one per class. Repeatable.": (
        "Predicted probabilities, one per class (a single value: binary, P(class 1)). "
        "Repeat for several samples."
    ),
    "Logits instead of --pred (softmax).": (
        "Logits instead of --pred (softmax by an exact log-sum-exp; one value: sigmoid)."
    ),
    "Prediction files (CSV, JSON, Parquet, ...); - is stdin.": (
        "A prediction file (CSV, TSV, JSON, JSON Lines, Parquet, Feather, .npz; may be "
        "compressed: .gz, .bz2, .xz, .zst), one row per sample; - for stdin. Repeat it, "
        "or give a glob or a directory: the files are one evaluation. Piped stdin is "
        "read when no vectors are given."
    ),
    "Also each file's rows and mean loss.": (
        "With several files: also each file's rows and mean loss."
    ),
    "Score on a Dask cluster (pip install 'xent\\[dask]').": (
        "Score the files on a Dask cluster: a scheduler's address (tcp://host:8786), or "
        "local for a cluster of worker processes here (pip install 'xent\\[dask]')."
    ),
    "Worker processes for --cluster local.": (
        "With --cluster local: how many worker processes (default: one per core)."
    ),
    "The predictions array of an .npz.": (
        "The predictions array of an .npz (default: pred, probs, logits, ...; the "
        "labels array is --label-column if it names one, else labels, label, y, ...)."
    ),
    "An array file's values: logits, logprobs, probabilities.": (
        "What an array file's values are: logits, logprobs (checked, used as log Q) or "
        "probabilities (default auto: by the array's name, else logits unless the rows "
        "are distributions or log-probabilities)."
    ),
    "The target tokens (.npy) of an array file.": (
        "The target tokens of an .npy/.npz/.safetensors file of values, one integer per "
        "row, in an .npy."
    ),
    "The file's format (default: from its name, content).": (
        "The file's format (default: from the extension, else from the content)."
    ),
    "The column of the labels (default: label).": (
        "The column (JSON key) holding each row's class name or index; with "
        "--multi-label the positive class names, separated by |."
    ),
    "Soft labels: a column of P per class.": (
        "Soft labels: the columns holding P(class), one per class in class order, "
        "comma-separated (instead of --label-column); with --multi-label, 0/1 per "
        "class."
    ),
    "CSV delimiter (default: detected).": (
        "CSV field delimiter (default: detected from the header: comma, tab or ;). '\\t' for tab."
    ),
    "Columns that are not classes (ids, text).": (
        "Columns that are neither the label nor a class (ids, text), comma-separated, "
        "quoted as in CSV ('' alone, or \"\" in a list, is the column with no name). "
        "Every other column is a class."
    ),
    "raise: stop at a bad row; skip: leave it out.": (
        "raise: stop at the first bad row (exit 1). skip: leave bad rows out, and say "
        "how many and which."
    ),
    "The columns of P (default: p_<class>).": (
        "The columns (JSON keys) holding P, one per class in class order, "
        "comma-separated (default: the columns named p_<class>)."
    ),
    "The columns of Q (default: q_<class>).": (
        "The columns (JSON keys) holding Q, in the same class order as --p-columns "
        "(default: the columns named q_<class>)."
    ),
    "Divide each prediction by its sum.": (
        "Divide each prediction (distribution) by its sum instead of rejecting it: any "
        "non-negative values, counts or scores, as SciPy's entropy does."
    ),
    "The values are logits (Keras' from_logits).": (
        "The --pred values (or a file's class columns) are logits, as Keras' "
        'from_logits=True; a JSON "logits" key says so by itself.'
    ),
    "Clip Q to \\[EPS, 1-EPS]; eps: scikit-learn's.": (
        "Clip predictions to [EPS, 1-EPS] first, like scikit-learn and Keras (avoids an "
        "infinite loss when Q(i) = 0); eps is the float64 machine epsilon, "
        "scikit-learn's log_loss clip."
    ),
    "Label smoothing, as PyTorch's.": (
        "Smooth the label to (1-ALPHA)·P + ALPHA/K, as PyTorch's "
        "CrossEntropyLoss(label_smoothing=ALPHA) and Keras do."
    ),
    "Class weights (PyTorch's weight=).": (
        "Class weights, PyTorch's CrossEntropyLoss(weight=...): each class's term is "
        "multiplied by its weight, and the mean divides by the sum of the weights of "
        "the true classes (by the number of rows for distribution labels)."
    ),
    "Per-row weights (scikit-learn's sample_weight).": (
        "Per-row weights: a file's numeric column (JSON key), or one number per --pred. "
        "The mean is Σ s·loss / Σ s, scikit-learn's log_loss(sample_weight=...) (with "
        "--weights, Σ s·loss / Σ s·w\\[label]); accuracy and the metrics are weighted "
        "too."
    ),
    "Leave out rows of label index N (ignore_index).": (
        "Leave out rows whose label is the index N (PyTorch's ignore_index, e.g. -100; "
        "also the rows of class N). Ignored rows are counted, in no statistic."
    ),
    "Each class is its own yes/no (sigmoid).": (
        "Each class is its own yes/no: labels are 0/1 per class (or the positive class "
        "names, dog,eagle; in a file dog|eagle), predictions independent probabilities "
        "or logits (sigmoid); the loss is the mean binary cross-entropy (PyTorch "
        "BCEWithLogitsLoss)."
    ),
    "Top-K accuracy (default 1), and the Brier score.": (
        "Top-K accuracy: the fraction of rows whose true class is among the K most "
        "probable (scikit-learn's top_k_accuracy_score). Beside it, the Brier score: "
        "the mean over rows of Σ (Q(i) − P(i))²."
    ),
    "Bins of the calibration error (default 15).": (
        "The expected calibration error over B equal-width bins of confidence (the top "
        "probability), ECE = Σ_b (n_b/N)·|accuracy_b − confidence_b|."
    ),
    "Show the reliability diagram (files).": (
        "Show the reliability diagram instead of the summary (files): per confidence "
        "bin (--bins) the rows, mean confidence, accuracy and its 95% Wilson interval; "
        "-f csv/json write its rows."
    ),
    "Save the reliability diagram as SVG.": (
        "Also save the reliability diagram as an SVG picture (files)."
    ),
    "List the K rows of highest loss.": (
        "Also list the K rows with the highest loss, with their line numbers."
    ),
    "Exit 3 when the loss is above X.": (
        "A gate for scripts: after printing the output, exit 3 when the reduced loss is "
        "above X (in the --base unit)."
    ),
    "Intervals at LEVEL (0.95), from standard errors.": (
        "Confidence intervals at LEVEL (0.95), in the same pass at almost no cost: the mean "
        "loss and the Brier score ± Student's t (n − 1 degrees of freedom) × their standard "
        "error, the perplexity from the loss's, the accuracies Wilson's score interval. The "
        "calibration errors get none: see --bootstrap."
    ),
    "Bootstrap intervals of N replicates (200).": (
        "With --ci: percentile intervals of every summary metric, the calibration errors' "
        "too, from a streaming Poisson bootstrap of N replicates (200 is usual), exactly "
        "reproducible for a --seed; about twice the run's time."
    ),
    "Seed of the bootstrap (default 0).": (
        "Seed of the bootstrap weights, with --bootstrap (default 0: the same intervals every run)."
    ),
    "A summary per value of COLUMN (files).": (
        "A summary per value of this column (files): rows, loss, perplexity, accuracy, "
        "skill, sorted by loss."
    ),
    "Rows are tokens; COLUMN names their sequence.": (
        "Rows are tokens and this column names their sequence: show corpus perplexity "
        "and the mean of per-sequence perplexities, side by side."
    ),
    "Log base: e (nats), 2 (bits), 10, or any.": (
        "Log base: e (nats, default), 2 (bits), 10 (hartleys) or any positive number but 1."
    ),
    "table, plain, json or csv (default: by terminal).": (
        "table on a terminal; plain (the one number, full precision) when piped; json "
        "and csv for scripts."
    ),
    "Decimals in tables (default 4).": ("Decimals shown in tables (plain/json/csv are exact)."),
    "Classes listed (default 20).": (
        "Classes listed in tables and JSON: all of them up to N, else the N with the "
        "largest contributions, saying how many are left out (default 20; all lists "
        "every class)."
    ),
    "Several samples: mean, sum or none.": (
        "With several samples: their mean, sum, or none (one value per sample)."
    ),
    "Also save the table view as SVG.": ("Also save the table view as an SVG picture."),
    "Also save the table view as HTML.": ("Also save the table view as an HTML page."),
    "A logprobs file's responses (default: from the file).": (
        "A logprobs file's responses: chat or completions (OpenAI), vllm (sampled "
        "tokens) or vllm-prompt (prompt_logprobs); default auto: by the first response, "
        "vLLM's sampled tokens before its prompt's."
    ),
    "Vocabulary size: entropy bounds (logprobs).": (
        "The model's vocabulary size: bounds on the entropy from a logprobs file's "
        "top_logprobs (without it, the mass outside the listed tokens alone)."
    ),
    "Bytes per row: bits per byte.": (
        "A column (or .npz/.safetensors array) of each row's byte count: bits per byte "
        "and byte perplexity, lm-evaluation-harness' (a document's count may sit on one "
        "of its rows, 0 on the others)."
    ),
    "Words per row: word perplexity.": (
        "A column (or array) of each row's word count: word perplexity, exp(-Σ "
        "log-likelihood / Σ words), lm-evaluation-harness' weighted_perplexity."
    ),
    "Score as calibrated by FILE (xent calibrate).": (
        "Score the predictions as calibrated by FILE, a calibration fitted on other "
        "rows (xent calibrate --save-calibration FILE): temperature or vector scaling."
    ),
    "Score softmax(z / T): a temperature by hand.": (
        "Score softmax(z / T) instead of the predictions: z the logits, or log Q for "
        "probabilities (temperature scaling, T by hand)."
    ),
    "The gate's figure: estimate, upper or lower.": (
        "What the gate compares with its limit: estimate (default); upper, the --ci "
        "interval's upper bound (fail unless the whole interval is at or below it); "
        "lower, its lower bound (fail only when the whole interval is above)."
    ),
    "Write to FILE (replaced atomically, on success).": (
        "Write the output to FILE instead of stdout: a regular file is replaced "
        "atomically, only when the command succeeds; a device, FIFO or /dev/stdout is "
        "written into (- is stdout)."
    ),
}
