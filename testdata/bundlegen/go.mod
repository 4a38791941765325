module schedstat/testdata/bundlegen

go 1.19
