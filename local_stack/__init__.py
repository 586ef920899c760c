"""The product on one machine: moto over HTTP, resources from the resource spec, a local API Gateway."""
