variable "group_name" {
  type = string
}
