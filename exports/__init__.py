"""Excel workbooks and reports, built from queries and streamed (the bulk export and SKA's reports).

Nothing lives here yet: the registers' bulk export and the monthly invoice workbook come next.
"""
