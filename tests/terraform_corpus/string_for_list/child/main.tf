variable "names" {
  description = "Names to greet."
  type        = list(string)
}

output "count" {
  value = length(var.names)
}
