#!/usr/bin/env Rscript
# Reference values for perfcalc's risk metrics (issue 3), computed with PerformanceAnalytics 2.1.0
# code paths under R 4.2.2.
#
# PerformanceAnalytics is not installable here (not in Debian, CRAN unreachable), so its R
# functions were read from GitHub (braverock/PerformanceAnalytics, the commit whose DESCRIPTION
# says Version 2.1.0) and the default code path of each function used below was transcribed into
# a scratch file OUTSIDE this repository (PA_SRC, default /tmp/pa/pa_subset.R). Each function there
# keeps PA's name and arithmetic; they take plain numeric vectors that this script has already
# inner-joined by date (the issue's window), which is what PA's own na.omit(merge(...)) does.
#
# Usage: Rscript scripts/reference/risk_reference.R [PA_SRC] [DATA_DIR] [OUT_DIR]
#   DATA_DIR default fixtures/returns, OUT_DIR default fixtures/reference.
#
# Which PA call produced each JSON key (R = series, Rb = benchmark, Rf = risk-free series or 0,
# s = scale = 12 for these monthly data sets, MAR = 0, p = 0.95):
#   cumulative_return       Return.cumulative(R)
#   annualized_return       Return.annualized(R, scale = s)                      geometric
#   annualized_volatility   StdDev.annualized(R, scale = s)
#   sharpe_ratio            SharpeRatio.annualized(R, Rf, scale = s, geometric = FALSE)
#   sharpe_ratio_geometric  SharpeRatio.annualized(R, Rf, scale = s, geometric = TRUE)
#   downside_deviation      DownsideDeviation(R, MAR = 0, method = "full")
#   sortino_ratio           SortinoRatio(R, MAR = 0)
#   max_drawdown            maxDrawdown(R)                                       positive
#   calmar_ratio            CalmarRatio(R, scale = s)
#   pain_index              PainIndex(R)
#   ulcer_index             UlcerIndex(R)
#   beta                    CAPM.beta(R, Rb, Rf)                                 lm slope on excess returns
#   alpha                   CAPM.alpha(R, Rb, Rf)                                lm intercept, per period
#   jensen_alpha            CAPM.jensenAlpha(R, Rb, Rf)                          period = Frequency = s
#   treynor_ratio           TreynorRatio(R, Rb, Rf, scale = s)
#   active_premium          ActivePremium(R, Rb, scale = s)
#   tracking_error          TrackingError(R, Rb, scale = s)
#   information_ratio       InformationRatio(R, Rb, scale = s)
#   up_capture/down_capture UpDownRatios(R, Rb, method = "Capture", side = "Up"/"Down")
#   up/down_number_ratio    UpDownRatios(R, Rb, method = "Number", side = ...)
#   up/down_percent_ratio   UpDownRatios(R, Rb, method = "Percent", side = ...)
#   value_at_risk           VaR(R, p = 0.95, method = "historical")              invert = TRUE (a return)
#   expected_shortfall      ES(R, p = 0.95, method = "historical")               invert = TRUE
#   skewness                skewness(R)                                          method = "moment"
#   kurtosis                kurtosis(R)                                          method = "excess"
#   omega_ratio             Omega(R, L = 0, method = "simple")
#   best_period, worst_period, positive_periods   max(R), min(R), sum(R > 0) / length(R) (base R)
#   drawdowns               table.Drawdowns(R, top = 5) fields, unrounded depth (findDrawdowns +
#                           sortDrawdowns), lengths as PA counts them, To/Recovery NA if unrecovered
# Non-finite results (NaN, Inf, PA's NA from its VaR/ES reasonableness checks) are written as null.

args <- commandArgs(trailingOnly = TRUE)
pa_src <- if (length(args) >= 1) args[1] else "/tmp/pa/pa_subset.R"
data_dir <- if (length(args) >= 2) args[2] else "fixtures/returns"
out_dir <- if (length(args) >= 3) args[3] else "fixtures/reference"
source(pa_src)

read_wide <- function(path) {
  d <- read.csv(path, check.names = FALSE, stringsAsFactors = FALSE, colClasses = "character")
  list(dates = d[[1]], cols = lapply(d[-1], function(v) ifelse(v == "", NA, as.numeric(v))))
}

num <- function(x) {
  if (is.null(x) || length(x) != 1 || is.na(x) || !is.finite(x)) return("null")
  sprintf("%.17g", x)
}
str <- function(x) if (is.null(x) || is.na(x)) "null" else paste0('"', gsub('"', '\\\\"', x), '"')

one_series <- function(dates, a, b, f, s) {
  has_b <- !is.null(b)
  keep <- !is.na(a)
  if (has_b) keep <- keep & !is.na(b)
  if (length(f) > 1) keep <- keep & !is.na(f)
  d <- dates[keep]; a <- a[keep]
  if (has_b) b <- b[keep]
  rf <- if (length(f) > 1) f[keep] else f
  m <- list()
  m$cumulative_return <- Return.cumulative(a)
  m$annualized_return <- Return.annualized(a, scale = s)
  m$annualized_volatility <- StdDev.annualized(a, scale = s)
  m$sharpe_ratio <- SharpeRatio.annualized(a, rf, scale = s, geometric = FALSE)
  m$sharpe_ratio_geometric <- SharpeRatio.annualized(a, rf, scale = s, geometric = TRUE)
  m$downside_deviation <- DownsideDeviation(a, MAR = 0)
  m$sortino_ratio <- SortinoRatio(a, MAR = 0)
  m$max_drawdown <- maxDrawdown(a)
  m$calmar_ratio <- CalmarRatio(a, scale = s)
  m$pain_index <- PainIndex(a)
  m$ulcer_index <- UlcerIndex(a)
  if (has_b) {
    m$beta <- CAPM.beta(a, b, rf)
    m$alpha <- CAPM.alpha(a, b, rf)
    m$jensen_alpha <- CAPM.jensenAlpha(a, b, rf, period = s)
    m$treynor_ratio <- TreynorRatio(a, b, rf, scale = s)
    m$active_premium <- ActivePremium(a, b, scale = s)
    m$tracking_error <- TrackingError(a, b, scale = s)
    m$information_ratio <- InformationRatio(a, b, scale = s)
    m$up_capture <- UpDownRatios(a, b, "Capture", "Up")
    m$down_capture <- UpDownRatios(a, b, "Capture", "Down")
    m$up_number_ratio <- UpDownRatios(a, b, "Number", "Up")
    m$down_number_ratio <- UpDownRatios(a, b, "Number", "Down")
    m$up_percent_ratio <- UpDownRatios(a, b, "Percent", "Up")
    m$down_percent_ratio <- UpDownRatios(a, b, "Percent", "Down")
  } else {
    for (k in c("beta", "alpha", "jensen_alpha", "treynor_ratio", "active_premium", "tracking_error",
                "information_ratio", "up_capture", "down_capture", "up_number_ratio",
                "down_number_ratio", "up_percent_ratio", "down_percent_ratio")) m[[k]] <- NA
  }
  m$value_at_risk <- VaR(a, p = 0.95, method = "historical")
  m$expected_shortfall <- ES(a, p = 0.95, method = "historical")
  m$skewness <- skewness(a)
  m$kurtosis <- kurtosis(a)
  m$omega_ratio <- Omega(a, L = 0)
  m$best_period <- max(a)
  m$worst_period <- min(a)
  m$positive_periods <- sum(a > 0) / length(a)

  x <- findDrawdowns(a)
  ix <- sort(x$return, index.return = TRUE)$ix          # sortDrawdowns.R
  x <- lapply(x, function(v) v[ix])
  top <- min(5, sum(x$return < 0))
  dd <- character(0)
  for (i in seq_len(top)) {
    to_date <- if (x$to[i] <= length(d)) d[x$to[i]] else NA
    rec <- if (is.na(to_date)) NA else x$recovery[i]
    dd <- c(dd, sprintf('{"start":%s,"trough":%s,"end":%s,"depth":%s,"length":%d,"to_trough":%d,"recovery":%s}',
      str(d[x$from[i]]), str(d[x$trough[i]]), str(to_date), num(x$return[i]), as.integer(x$length[i]),
      as.integer(x$peaktotrough[i]), if (is.na(rec)) "null" else as.character(as.integer(rec))))
  }
  metrics <- paste(sprintf('"%s":%s', names(m), vapply(m, num, "")), collapse = ",\n      ")
  sprintf('{\n    "observations": %d, "start_date": %s, "end_date": %s,\n    "metrics": {\n      %s\n    },\n    "drawdowns": [\n      %s\n    ]\n  }',
    length(a), str(d[1]), str(d[length(d)]), metrics, paste(dd, collapse = ",\n      "))
}

run <- function(name, benchmark, rf_series, s = 12) {
  w <- read_wide(file.path(data_dir, paste0(name, "_wide.csv")))
  b <- if (is.null(benchmark)) NULL else w$cols[[benchmark]]
  f <- if (is.null(rf_series)) 0 else w$cols[[rf_series]]
  body <- character(0)
  for (id in names(w$cols)) body <- c(body, sprintf('  %s: %s', str(id), one_series(w$dates, w$cols[[id]], b, f, s)))
  json <- sprintf('{\n"dataset": %s, "source": "PerformanceAnalytics 2.1.0 code paths, R %s (scripts/reference/risk_reference.R)",\n"scale": %d, "mar": 0, "confidence": 0.95, "benchmark": %s, "risk_free": %s,\n"series": {\n%s\n}\n}\n',
    str(name), paste(R.version$major, R.version$minor, sep = "."), s, str(benchmark), str(rf_series), paste(body, collapse = ",\n"))
  dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)
  writeLines(json, file.path(out_dir, paste0(name, ".json")), sep = "")
}

run("managers", "SP500 TR", "US 3m TR")
run("edhec", NULL, NULL)
run("portfolio_bacon", "benchmark.return....", NULL)
