"""Planning's charts are valid Plotly figures with a title, named axes with units, a legend and a table."""

from __future__ import annotations

import plotly.graph_objects as go

from planning.charts import WeightRange, sensitivity_chart


def test_the_sensitivity_chart_is_valid_plotly_with_its_table():
    ranges = [
        WeightRange("Urgency <b>", 0.15, None, 0.5573, "", "MOB Mobile", 0.037, 0.419, "STORE-06", "ECOM-06"),
        WeightRange("Risk", 0.15, None, None, "", "", None, None, "", ""),
    ]
    chart = sensitivity_chart(ranges, 5, "First optional place")
    figure = go.Figure(chart.figure)
    assert figure.layout.title.text
    assert figure.layout.xaxis.title.text == "Weight of the criterion (% of the total weight)"
    assert [trace.name for trace in figure.data] == [
        "First optional place unchanged",
        "Top 5 unchanged",
        "Current weight",
    ]
    # a label typed with markup is plain text in the figure
    assert figure.data[0].y[0] == "Urgency &lt;b&gt;"
    # bars from the lower threshold (0 when never) to the upper (100 when never), in percent
    assert list(figure.data[0].base) == [0.0, 0.0]
    assert [round(x, 2) for x in figure.data[0].x] == [55.73, 100.0]
    assert chart.table.rows[0] == [
        "Urgency <b>",
        "15.0%",
        "never",
        "",
        "55.7%",
        "MOB Mobile",
        "3.7%",
        "STORE-06",
        "41.9%",
        "ECOM-06",
    ]
