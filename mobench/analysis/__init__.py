"""Analysis: complexity metrics, correlation with latency, plots and the report."""
