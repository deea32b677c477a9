/*
 * Disassembler test input: 16-bit code (real mode and 16-bit protected
 * mode), listed with objdump -M i8086. The default operand and address
 * sizes are 16 bits; 66/67 prefixes select 32 bits (`pushl`, `retl`,
 * `addr32`), and relative branches wrap within the 64 KiB segment.
 *
 * objdump-fixtures: text=0x0 modes=i8086
 */
	.code16
	.text
	.globl	_start
_start:
	cli
	xor	%ax, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	$0x7c00, %sp
	ljmp	$0, $next
next:
	lgdt	gdtr
	lidtl	gdtr
	smsw	%ax
	mov	%cr0, %eax
	or	$1, %eax
	mov	%eax, %cr0
	ljmpl	$0x8, $pm
pm:
	push	%ax
	pushl	%eax
	push	$0x1234
	pushl	$0x12345678
	pushw	(%bx)
	pushl	(%bx)
	push	%es
	pushl	%fs
	pop	%ds
	popl	%gs
	pushf
	pushfl
	popf
	popfl
	pusha
	pushal
	popa
	popal
	call	sub
	calll	sub
	call	*%ax
	call	*(%bx)
	calll	*(%bx)
	lcall	*(%bx,%si)
	lcalll	*(%bx,%si)
	lcall	$0x1000, $0x20
	lcalll	$0x10, $0x12345678
	jmp	*%bx
	ljmp	*4(%bp)
	ljmpl	*4(%bp)
	jcxz	pm
	jecxz	pm
	loop	pm
	addr32 loop pm
	loopz	pm
	loopnz	pm
	je	pm
	jne	far_ahead
	jmp	far_ahead
	movw	$1, (%si)
	movl	$1, (%si)
	movb	$1, 3(%bp,%di)
	mov	(%bx,%si), %ax
	mov	-2(%bp), %eax
	mov	0x1234, %ax
	mov	%ax, 0xfff0
	mov	(%eax,%ebx,4), %cx
	addr32 mov 0x12345678, %al
	mov	%es:(%di), %ax
	lea	2(%bx,%di), %ax
	lea	4(%esi), %eax
	lds	(%bx), %si
	ldsl	(%bx), %esi
	les	4(%bp), %di
	movzbw	(%si), %ax
	movzbl	(%si), %eax
	movzwl	%ax, %eax
	movsbw	%al, %ax
	cbtw
	cwtl
	cwtd
	cltd
	rep movsb
	rep movsw
	rep movsl
	rep stosw
	addr32 rep movsb
	repz cmpsb
	repnz scasw
	lodsw
	lodsl
	insw
	outsl
	xlat
	in	$0x60, %al
	in	(%dx), %ax
	in	(%dx), %eax
	out	%ax, (%dx)
	out	%eax, $0x80
	int	$0x10
	int3
	iret
	iretl
	bound	%ax, (%bx)
	boundl	%eax, (%bx)
	enter	$4, $0
	enterl	$4, $0
	leave
	leavel
	sldt	%ax
	str	%eax
	lar	%ax, %ax
	lsl	(%bx), %eax
	arpl	%ax, (%bx)
	mov	%ds, %ax
	mov	%ds, %eax
	mov	%ax, %ds
	fnstsw	%ax
	fldenv	(%bx)
	fldenvl	(%bx)
	fnsave	(%bx)
	fnsavel	(%bx)
	fildl	(%bx)
	bswap	%eax
	shld	$3, %ax, %dx
	shrdl	%cl, %eax, (%bx)
	btw	$3, (%bx)
	btl	$3, (%bx)
	setne	(%bx)
	cmovel	%eax, %edx
	xchg	%ax, %bx
	xchg	%eax, %ebx
	nop
	xchg	%eax, %eax
	incl	(%bx)
	negw	(%bx)
	shll	$2, (%bx)
	imul	$-3, %ax, %ax
	imul	$-3, %eax, %eax
	sub:
	ret
	retl
	ret	$2
	retl	$4
	lret
	lretl
	lret	$6
	.fill	0x100, 1, 0x90
	.org	0xfff0
far_ahead:
	jmp	_start
	je	_start
	call	_start
	.byte	0xe9, 0x00, 0x80, 0x0f, 0x84, 0xf0, 0x7f, 0x66, 0xe9, 0x00, 0x80, 0x00, 0x00
	hlt

	.set	gdtr, 0x600
